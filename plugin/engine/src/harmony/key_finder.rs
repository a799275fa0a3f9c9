//! Hearing a key in a window of notes (Krumhansl–Schmuckler: the major or minor key whose
//! tonal-hierarchy profile correlates best with the window's pitch-class counts). The key
//! lock listens with it while it plays; evaluation judges music with it.

/// Krumhansl & Kessler's (1982) probe-tone ratings for C major and C minor.
const MAJOR: [f64; 12] = [
    6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88,
];
const MINOR: [f64; 12] = [
    6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17,
];

/// Onsets per window: long enough to hear a key (eight bars of a reel, a chorale phrase).
pub const KEY_WINDOW_ONSETS: usize = 32;

/// A key: tonic pitch class 0–11 (C = 0) and mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEstimate {
    pub tonic: u8,
    pub minor: bool,
}

fn correlation(a: &[f64; 12], b: impl Fn(usize) -> f64) -> f64 {
    let ma = a.iter().sum::<f64>() / 12.0;
    let mb = (0..12).map(&b).sum::<f64>() / 12.0;
    let (mut num, mut da, mut db) = (0.0, 0.0, 0.0);
    for (i, &x) in a.iter().enumerate() {
        let (x, y) = (x - ma, b(i) - mb);
        num += x * y;
        da += x * x;
        db += y * y;
    }
    if da == 0.0 || db == 0.0 {
        0.0
    } else {
        num / (da * db).sqrt()
    }
}

/// The best-fitting key of these pitches; `None` without any.
pub fn estimate_key<'a>(pitches: impl IntoIterator<Item = &'a u8>) -> Option<KeyEstimate> {
    let mut counts = [0f64; 12];
    for &p in pitches {
        counts[usize::from(p % 12)] += 1.0;
    }
    if counts.iter().all(|&c| c == 0.0) {
        return None;
    }
    let mut best = (
        f64::NEG_INFINITY,
        KeyEstimate {
            tonic: 0,
            minor: false,
        },
    );
    for tonic in 0..12u8 {
        for (minor, profile) in [(false, &MAJOR), (true, &MINOR)] {
            let r = correlation(&counts, |i| profile[(i + 12 - usize::from(tonic)) % 12]);
            if r > best.0 {
                best = (r, KeyEstimate { tonic, minor });
            }
        }
    }
    Some(best.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scale(tonic: u8, steps: &[u8]) -> Vec<u8> {
        steps.iter().map(|s| 60 + tonic + s).collect()
    }

    #[test]
    fn scales_and_triads_give_their_keys() {
        let major = [0, 2, 4, 5, 7, 9, 11, 12, 7, 4, 0, 7, 0];
        let minor = [0, 2, 3, 5, 7, 8, 10, 12, 7, 3, 0, 7, 0];
        for tonic in 0..12 {
            let k = estimate_key(&scale(tonic, &major)).unwrap();
            assert_eq!((k.tonic, k.minor), (tonic, false), "major on {tonic}");
            let k = estimate_key(&scale(tonic, &minor)).unwrap();
            assert_eq!((k.tonic, k.minor), (tonic, true), "minor on {tonic}");
        }
        assert_eq!(estimate_key(&[]), None);
    }
}
