//! Comparing generated music with a corpus by the overlapping area of feature histograms,
//! after Yang & Lerch 2018, "On the evaluation of generative models in music". Each
//! histogram is normalised to sum 1, so the overlap Σ min(p, q) is 1 for identical
//! distributions and 0 for disjoint ones.

use serde::Serialize;

/// A set of onsets to describe: (grid step position, pitches) in time order, split into
/// phrases (pieces, or equal chunks of a generated stream) for the per-phrase features.
pub struct OnsetSeries<'a> {
    pub phrases: Vec<Vec<(u64, &'a [u8])>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlaps {
    /// Pitch-class histogram (12 bins over all notes).
    pub pitch_class: f64,
    /// Inter-onset intervals in grid steps (one bin per step, up to the grid's cap).
    pub inter_onset_interval: f64,
    /// Pitch range (highest − lowest MIDI pitch) of each phrase, in bins of 3 semitones.
    pub pitch_range: f64,
}

fn normalised(mut h: Vec<f64>) -> Vec<f64> {
    let total: f64 = h.iter().sum();
    if total > 0.0 {
        h.iter_mut().for_each(|x| *x /= total);
    }
    h
}

fn overlap(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).map(|(a, b)| a.min(*b)).sum()
}

fn features(s: &OnsetSeries, max_steps: u64) -> [Vec<f64>; 3] {
    let mut pc = vec![0.0; 12];
    let mut ioi = vec![0.0; max_steps as usize + 1];
    let mut range = vec![0.0; 128 / 3 + 1];
    for phrase in &s.phrases {
        for w in phrase.windows(2) {
            ioi[(w[1].0 - w[0].0).min(max_steps) as usize] += 1.0;
        }
        let pitches = phrase.iter().flat_map(|(_, p)| p.iter().copied());
        let (mut lo, mut hi) = (u8::MAX, 0u8);
        for p in pitches {
            pc[usize::from(p % 12)] += 1.0;
            lo = lo.min(p);
            hi = hi.max(p);
        }
        if hi >= lo {
            range[usize::from(hi - lo) / 3] += 1.0;
        }
    }
    [normalised(pc), normalised(ioi), normalised(range)]
}

pub fn overlaps(generated: &OnsetSeries, corpus: &OnsetSeries, max_steps: u64) -> Overlaps {
    let [a0, a1, a2] = features(generated, max_steps);
    let [b0, b1, b2] = features(corpus, max_steps);
    Overlaps {
        pitch_class: overlap(&a0, &b0),
        inter_onset_interval: overlap(&a1, &b1),
        pitch_range: overlap(&a2, &b2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_is_one_disjoint_is_zero() {
        let c = [60u8];
        let d = [61u8];
        let a = OnsetSeries {
            phrases: vec![vec![(0, &c[..]), (6, &c[..]), (12, &c[..])]],
        };
        let b = OnsetSeries {
            phrases: vec![vec![(0, &d[..]), (8, &d[..]), (16, &d[..])]],
        };
        let same = overlaps(&a, &a, 192);
        assert!(
            (same.pitch_class - 1.0).abs() < 1e-12
                && (same.inter_onset_interval - 1.0).abs() < 1e-12
        );
        let diff = overlaps(&a, &b, 192);
        assert_eq!(diff.pitch_class, 0.0);
        assert_eq!(diff.inter_onset_interval, 0.0);
        assert!((diff.pitch_range - 1.0).abs() < 1e-12); // both ranges are 0
    }
}
