//! Drawing a token from logits with a temperature, without allocating.

use rand::Rng;

/// Samples an index from `softmax(logits / temperature)`, never index 0 (the UNKNOWN
/// fallback, which has no meaning to play). Temperature 0 (or below) is greedy: the most
/// likely index. Ties and non-finite logits resolve to the lowest such index, so the result
/// is a pure function of the logits and the RNG.
pub fn sample_token(logits: &[f32], temperature: f32, rng: &mut impl Rng) -> u32 {
    sample_token_where(logits, temperature, |_| true, rng).unwrap_or(0)
}

/// [`sample_token`] among the indices `allowed` accepts: the others get zero probability.
/// `None` when it accepts none. With every index accepted it draws exactly what
/// `sample_token` draws, so a lock that is off changes nothing.
pub fn sample_token_where(
    logits: &[f32],
    temperature: f32,
    allowed: impl Fn(usize) -> bool,
    rng: &mut impl Rng,
) -> Option<u32> {
    let candidates = logits.get(1..)?;
    let allowed = |i: usize| allowed(i + 1);
    let mut best = None::<usize>;
    for (i, &l) in candidates.iter().enumerate() {
        if !allowed(i) {
            continue;
        }
        match best {
            Some(b) if !(l > candidates[b] || candidates[b].is_nan()) => {}
            _ => best = Some(i),
        }
    }
    let best = best?;
    let max = candidates[best];
    if !(temperature > 0.0) || !max.is_finite() {
        return Some(best as u32 + 1);
    }
    let inv_t = 1.0 / temperature;
    let weight = |i: usize, l: f32| {
        if l.is_finite() && allowed(i) {
            ((l - max) * inv_t).exp()
        } else {
            0.0
        }
    };
    let total: f32 = candidates
        .iter()
        .enumerate()
        .map(|(i, &l)| weight(i, l))
        .sum();
    let mut target = rng.random::<f32>() * total;
    for (i, &l) in candidates.iter().enumerate() {
        target -= weight(i, l);
        if target < 0.0 {
            return Some(i as u32 + 1);
        }
    }
    Some(best as u32 + 1)
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
    fn masked_indices_are_never_drawn_and_an_empty_mask_says_so() {
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        let logits = [0.0, 4.0, 1.0, 1.0, 0.5];
        for t in [0.0, 0.5, 1.0, 3.0] {
            for _ in 0..2000 {
                let i = sample_token_where(&logits, t, |i| i % 2 == 0, &mut rng).unwrap();
                assert!(i == 2 || i == 4, "{i} at {t}");
            }
        }
        assert_eq!(
            sample_token_where(&logits, 0.0, |i| i == 3, &mut rng),
            Some(3)
        );
        assert_eq!(sample_token_where(&logits, 1.0, |i| i == 0, &mut rng), None);
        // Unmasked, the draws are sample_token's.
        let (mut a, mut b) = (Pcg64Mcg::seed_from_u64(9), Pcg64Mcg::seed_from_u64(9));
        for _ in 0..500 {
            assert_eq!(
                sample_token_where(&logits, 0.9, |_| true, &mut a),
                Some(sample_token(&logits, 0.9, &mut b))
            );
        }
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
