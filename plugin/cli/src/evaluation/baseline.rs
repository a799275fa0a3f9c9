//! The unigram baseline: every token predicted from training frequencies alone, add-one
//! smoothed. A model that cannot beat this has learned nothing about sequence.

use super::likelihood::StreamScore;

pub struct Unigram {
    log_probs: Vec<f64>,
    best: u32,
}

impl Unigram {
    /// `counts[i]`: how often index i occurred in the training streams.
    pub fn new(counts: &[u64]) -> Unigram {
        let total: u64 = counts.iter().sum();
        let denom = (total + counts.len() as u64) as f64;
        let log_probs = counts
            .iter()
            .map(|&c| ((c + 1) as f64 / denom).ln())
            .collect();
        let best = counts
            .iter()
            .enumerate()
            .max_by_key(|&(i, &c)| (c, std::cmp::Reverse(i)))
            .map_or(0, |(i, _)| i as u32);
        Unigram { log_probs, best }
    }

    /// Scores the same targets `score_network` does: every token but each stream's first.
    pub fn score(&self, streams: &[&[u32]]) -> StreamScore {
        let mut s = StreamScore::default();
        for stream in streams {
            for &t in stream.iter().skip(1) {
                s.nll_sum -= self
                    .log_probs
                    .get(t as usize)
                    .copied()
                    .unwrap_or(self.log_probs[0]);
                s.tokens += 1;
                s.correct += usize::from(t == self.best);
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothed_frequencies() {
        let u = Unigram::new(&[0, 3, 1]);
        // p = (3+1)/(4+3), (1+1)/7, (0+1)/7
        let s = u.score(&[&[2, 1, 2, 0]]);
        let expected = -((4.0f64 / 7.0).ln() + (2.0f64 / 7.0).ln() + (1.0f64 / 7.0).ln());
        assert!((s.nll_sum - expected).abs() < 1e-12);
        assert_eq!((s.tokens, s.correct), (3, 1));
    }
}
