//! Drawing a token from logits with a temperature, without allocating.

use rand::Rng;

/// Samples an index from `softmax(logits / temperature)`, never index 0 (the UNKNOWN
/// fallback, which has no meaning to play). Temperature 0 (or below) is greedy: the most
/// likely index. Ties and non-finite logits resolve to the lowest such index, so the result
/// is a pure function of the logits and the RNG.
pub fn sample_token(logits: &[f32], temperature: f32, rng: &mut impl Rng) -> u32 {
    if logits.len() < 2 {
        return 0;
    }
    let candidates = &logits[1..];
    let mut best = 0usize;
    for (i, &l) in candidates.iter().enumerate() {
        if l > candidates[best] || candidates[best].is_nan() {
            best = i;
        }
    }
    let max = candidates[best];
    if !(temperature > 0.0) || !max.is_finite() {
        return best as u32 + 1;
    }
    let inv_t = 1.0 / temperature;
    let weight = |l: f32| {
        if l.is_finite() {
            ((l - max) * inv_t).exp()
        } else {
            0.0
        }
    };
    let total: f32 = candidates.iter().map(|&l| weight(l)).sum();
    let mut target = rng.random::<f32>() * total;
    for (i, &l) in candidates.iter().enumerate() {
        target -= weight(l);
        if target < 0.0 {
            return i as u32 + 1;
        }
    }
    best as u32 + 1
}

/// Samples an index in proportion to non-negative weights (for the first token after a
/// reset). Falls back to the largest weight if all are zero.
pub fn sample_weighted(weights: &[f32], rng: &mut impl Rng) -> u32 {
    let total: f32 = weights.iter().sum();
    if !(total > 0.0) {
        return 0;
    }
    let mut target = rng.random::<f32>() * total;
    let mut last = 0;
    for (i, &w) in weights.iter().enumerate() {
        if w > 0.0 {
            last = i;
            target -= w;
            if target < 0.0 {
                return i as u32;
            }
        }
    }
    last as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn greedy_never_picks_unknown() {
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(sample_token(&[9.0, 1.0, 3.0, 2.0], 0.0, &mut rng), 2);
    }

    #[test]
    fn temperature_spreads_choices_by_probability() {
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        let logits = [5.0, 0.0, (3f32).ln(), f32::NEG_INFINITY];
        let mut hits = [0usize; 4];
        for _ in 0..20_000 {
            hits[sample_token(&logits, 1.0, &mut rng) as usize] += 1;
        }
        assert_eq!(hits[0], 0);
        assert_eq!(hits[3], 0);
        let ratio = hits[2] as f64 / hits[1] as f64;
        assert!((ratio - 3.0).abs() < 0.2, "ratio {ratio}");
    }

    #[test]
    fn weighted_follows_weights() {
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let w = [0.0, 1.0, 0.0, 3.0];
        let mut hits = [0usize; 4];
        for _ in 0..8000 {
            hits[sample_weighted(&w, &mut rng) as usize] += 1;
        }
        assert_eq!(hits[0] + hits[2], 0);
        assert!((hits[3] as f64 / hits[1] as f64 - 3.0).abs() < 0.3);
    }
}
