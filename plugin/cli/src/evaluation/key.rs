//! How steadily a series of windows keeps one key, as the key finder hears it.

pub use crate::harmony::{estimate_key, KeyEstimate, KEY_WINDOW_ONSETS};

/// The share of consecutive windows (of [`KEY_WINDOW_ONSETS`] onsets, within a phrase) whose
/// estimated keys agree: 1 for music that never leaves its key. `None` with no such pair.
pub fn key_stability<'a>(phrases: impl IntoIterator<Item = Vec<&'a [u8]>>) -> Option<f64> {
    let (mut same, mut pairs) = (0usize, 0usize);
    for phrase in phrases {
        let keys: Vec<Option<KeyEstimate>> = phrase
            .chunks_exact(KEY_WINDOW_ONSETS)
            .map(|w| estimate_key(w.iter().flat_map(|p| p.iter())))
            .collect();
        for w in keys.windows(2) {
            pairs += 1;
            same += usize::from(w[0].is_some() && w[0] == w[1]);
        }
    }
    (pairs > 0).then(|| same as f64 / pairs as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(tonic: u8, steps: &[u8]) -> Vec<u8> {
        steps.iter().map(|s| 60 + tonic + s).collect()
    }

    #[test]
    fn stability_counts_agreeing_neighbours() {
        let c: Vec<u8> = scale(0, &[0, 4, 7, 12, 2, 5, 9, 11]);
        let fsharp: Vec<u8> = scale(6, &[0, 4, 7, 12, 2, 5, 9, 11]);
        let window = |notes: &[u8]| -> Vec<Vec<u8>> {
            (0..KEY_WINDOW_ONSETS)
                .map(|i| vec![notes[i % notes.len()]])
                .collect()
        };
        // C, C, F#, F#: two of three neighbouring pairs agree.
        let onsets: Vec<Vec<u8>> = [&c, &c, &fsharp, &fsharp]
            .iter()
            .flat_map(|n| window(n))
            .collect();
        let phrase: Vec<&[u8]> = onsets.iter().map(Vec::as_slice).collect();
        let s = key_stability([phrase.clone()]).unwrap();
        assert!((s - 2.0 / 3.0).abs() < 1e-12, "{s}");
        // A phrase shorter than two windows has no pair.
        assert_eq!(key_stability([phrase[..40].to_vec()]), None);
    }
}
