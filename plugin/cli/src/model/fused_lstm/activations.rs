//! The gate nonlinearities over whole rows. An LSTM step spends as long in `exp` as in its
//! matrix product unless these vectorise, and libm's `expf` does not: this `exp` is
//! branch-free arithmetic, so a loop over a slice compiles to SIMD code.

const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in two, so `x − n·ln 2` stays exact to f32 precision for |n| ≤ 128.
const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;
/// 1.5·2²³: adding and subtracting it rounds an f32 to the nearest integer.
const ROUND: f32 = 12_582_912.0;

/// eˣ to about 2 ulp, for x clamped to [−87, 88] (outside, the LSTM's uses saturate anyway).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // Taylor series of e^r to r⁶: |r| ≤ ln2/2, so the first omitted term is below 1.3e-7.
    let p = 1.0
        + r * (1.0
            + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r / 720.0)))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let e = exp(-2.0 * x.abs());
    ((1.0 - e) / (1.0 + e)).copysign(x)
}

#[inline(always)]
pub fn sigmoid_in_place(xs: &mut [f32]) {
    for x in xs {
        *x = sigmoid(*x);
    }
}

#[inline(always)]
pub fn tanh_in_place(xs: &mut [f32]) {
    for x in xs {
        *x = tanh(*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_approximations_match_the_standard_library() {
        let mut worst = [0f32; 3];
        for k in -20_000..=20_000 {
            let x = k as f32 / 1000.0;
            let rel = |a: f32, b: f32| (a - b).abs() / b.abs().max(1e-30);
            worst[0] = worst[0].max(rel(exp(x), x.exp()));
            worst[1] = worst[1].max((sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs());
            worst[2] = worst[2].max((tanh(x) - x.tanh()).abs());
        }
        assert!(worst[0] < 1e-6, "exp relative error {}", worst[0]);
        assert!(worst[1] < 2e-7, "sigmoid error {}", worst[1]);
        assert!(worst[2] < 2e-7, "tanh error {}", worst[2]);
        assert_eq!(tanh(100.0), 1.0);
        assert_eq!(tanh(-100.0), -1.0);
        assert_eq!(sigmoid(-200.0), 1.0 / (1.0 + 88f32.exp()));
        assert!(exp(-1000.0) > 0.0 && exp(1000.0).is_finite());
    }
}
