//! Dot products, the whole cost of an LSTM step. The bundle must run on any x86-64 CPU, so
//! the AVX2+FMA kernel is chosen at run time, once, when a `PackedLstm` is built.

/// A dot-product kernel over equal-length slices.
pub type DotFn = fn(&[f32], &[f32]) -> f32;

/// Portable version: eight independent accumulators, which the compiler vectorises with
/// whatever SIMD the baseline target has (SSE2 on x86-64).
pub fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 8];
    let chunks = n / 8;
    for i in 0..chunks {
        let (x, y) = (&a[i * 8..i * 8 + 8], &b[i * 8..i * 8 + 8]);
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut sum = (acc[0] + acc[4]) + (acc[1] + acc[5]) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for i in chunks * 8..n {
        sum += a[i] * b[i];
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support AVX2 and FMA (checked by `best_dot`).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_avx2_inner(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 16 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            acc1 = _mm256_fmadd_ps(
                _mm256_loadu_ps(pa.add(i + 8)),
                _mm256_loadu_ps(pb.add(i + 8)),
                acc1,
            );
            i += 16;
        }
        if i + 8 <= n {
            acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)), acc0);
            i += 8;
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let hi = _mm256_extractf128_ps(acc, 1);
        let lo = _mm256_castps256_ps128(acc);
        let s = _mm_add_ps(hi, lo);
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
        let mut sum = _mm_cvtss_f32(s);
        while i < n {
            sum += *pa.add(i) * *pb.add(i);
            i += 1;
        }
        sum
    }

    pub fn dot_avx2(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: only handed out by `best_dot` after detecting both features.
        unsafe { dot_avx2_inner(a, b) }
    }
}

/// The fastest kernel this CPU supports.
pub fn best_dot() -> DotFn {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        return x86::dot_avx2;
    }
    dot_portable
}

/// Every kernel available here, named, for tests and benchmarks.
pub fn kernels() -> Vec<(&'static str, DotFn)> {
    let mut k: Vec<(&'static str, DotFn)> = vec![("portable", dot_portable)];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        k.push(("avx2+fma", x86::dot_avx2));
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernels_agree_with_plain_sum() {
        for n in [0, 1, 7, 8, 15, 16, 17, 100, 384] {
            let a: Vec<f32> = (0..n).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.1).collect();
            let b: Vec<f32> = (0..n).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.2).collect();
            let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            for (name, k) in kernels() {
                assert!((k(&a, &b) - plain).abs() < 1e-4, "{name} n={n}");
            }
        }
    }
}
