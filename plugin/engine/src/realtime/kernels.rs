//! The arithmetic of one LSTM step: the gate pre-activations (a matrix times `[x | h]`) and
//! the cell's nonlinearities. Measured on the shipped models, the nonlinearities cost more
//! than the products when taken one `tanhf` at a time (glibc's `tanhf` goes through
//! `expm1f`), so both have a vector form. The bundle must run on any x86-64 CPU, so the
//! AVX2+FMA kernel is chosen at run time, once, when a `PackedLstm` is built.

/// `out[r] = bias[r] + rows[r] · x` for every row, the rows stored one after another, each
/// `x.len()` floats long.
pub type MatVec = fn(rows: &[f32], x: &[f32], bias: &[f32], out: &mut [f32]);

/// The LSTM cell over `gates` (`[i | f | g | o]`, `4 · c.len()` pre-activations): moves the
/// cell state `c` and writes the output `h`.
pub type Cell = fn(gates: &[f32], c: &mut [f32], h: &mut [f32]);

/// One way to do a step's arithmetic. Each function works on whole layers, so a kernel pays
/// its dispatch once per layer, not once per row.
#[derive(Clone, Copy)]
pub struct Kernel {
    /// How benchmarks and tests call it.
    pub name: &'static str,
    pub matvec: MatVec,
    pub cell: Cell,
}

/// Plain Rust: eight independent accumulators per row, which the compiler vectorises with
/// whatever SIMD the baseline target has (SSE2 on x86-64), and the standard library's
/// `exp` and `tanh`.
pub const PORTABLE: Kernel = Kernel {
    name: "portable",
    matvec: matvec_portable,
    cell: cell_portable,
};

fn dot_portable(a: &[f32], b: &[f32]) -> f32 {
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

fn matvec_portable(rows: &[f32], x: &[f32], bias: &[f32], out: &mut [f32]) {
    let n = x.len();
    for (r, o) in out.iter_mut().enumerate() {
        *o = bias[r] + dot_portable(&rows[r * n..(r + 1) * n], x);
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn cell_portable(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
    let u = c.len();
    for k in 0..u {
        let i = sigmoid(gates[k]);
        let f = sigmoid(gates[u + k]);
        let g = gates[2 * u + k].tanh();
        let o = sigmoid(gates[3 * u + k]);
        c[k] = f * c[k] + i * g;
        h[k] = o * c[k].tanh();
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// Four rows at a time, so each load of `x` serves four rows; two accumulators a row.
    ///
    /// # Safety
    /// The CPU must support AVX2 and FMA (checked by `best`); `rows` holds `out.len()` rows
    /// of `x.len()` floats and `bias` at least `out.len()`.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn matvec_inner(rows: &[f32], x: &[f32], bias: &[f32], out: &mut [f32]) {
        let n = x.len();
        let m = out.len();
        assert!(rows.len() >= m * n && bias.len() >= m);
        let px = x.as_ptr();
        let mut r = 0;
        while r + 4 <= m {
            let p0 = rows.as_ptr().add(r * n);
            let (p1, p2, p3) = (p0.add(n), p0.add(2 * n), p0.add(3 * n));
            let mut a = [_mm256_setzero_ps(); 8];
            let mut i = 0;
            while i + 16 <= n {
                let (x0, x1) = (_mm256_loadu_ps(px.add(i)), _mm256_loadu_ps(px.add(i + 8)));
                a[0] = _mm256_fmadd_ps(_mm256_loadu_ps(p0.add(i)), x0, a[0]);
                a[1] = _mm256_fmadd_ps(_mm256_loadu_ps(p0.add(i + 8)), x1, a[1]);
                a[2] = _mm256_fmadd_ps(_mm256_loadu_ps(p1.add(i)), x0, a[2]);
                a[3] = _mm256_fmadd_ps(_mm256_loadu_ps(p1.add(i + 8)), x1, a[3]);
                a[4] = _mm256_fmadd_ps(_mm256_loadu_ps(p2.add(i)), x0, a[4]);
                a[5] = _mm256_fmadd_ps(_mm256_loadu_ps(p2.add(i + 8)), x1, a[5]);
                a[6] = _mm256_fmadd_ps(_mm256_loadu_ps(p3.add(i)), x0, a[6]);
                a[7] = _mm256_fmadd_ps(_mm256_loadu_ps(p3.add(i + 8)), x1, a[7]);
                i += 16;
            }
            if i + 8 <= n {
                let x0 = _mm256_loadu_ps(px.add(i));
                a[0] = _mm256_fmadd_ps(_mm256_loadu_ps(p0.add(i)), x0, a[0]);
                a[2] = _mm256_fmadd_ps(_mm256_loadu_ps(p1.add(i)), x0, a[2]);
                a[4] = _mm256_fmadd_ps(_mm256_loadu_ps(p2.add(i)), x0, a[4]);
                a[6] = _mm256_fmadd_ps(_mm256_loadu_ps(p3.add(i)), x0, a[6]);
                i += 8;
            }
            // The four rows' sums side by side: pairwise adds fold eight lanes per row.
            let s0 = _mm256_add_ps(a[0], a[1]);
            let s1 = _mm256_add_ps(a[2], a[3]);
            let s2 = _mm256_add_ps(a[4], a[5]);
            let s3 = _mm256_add_ps(a[6], a[7]);
            let t01 = _mm256_hadd_ps(s0, s1);
            let t23 = _mm256_hadd_ps(s2, s3);
            let t = _mm256_hadd_ps(t01, t23);
            let sums = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
            let mut four = [0f32; 4];
            _mm_storeu_ps(four.as_mut_ptr(), sums);
            for (k, sum) in four.iter_mut().enumerate() {
                let p = p0.add(k * n);
                for j in i..n {
                    *sum += *p.add(j) * *px.add(j);
                }
                out[r + k] = bias[r + k] + *sum;
            }
            r += 4;
        }
        while r < m {
            out[r] = bias[r] + super::dot_portable(&rows[r * n..(r + 1) * n], x);
            r += 1;
        }
    }

    /// e^x for eight lanes: Cephes' `expf` (range reduction by ln 2 in two parts, a degree-5
    /// polynomial), within a few ulp of the true value over the clamped range, where the
    /// cell's sigmoids and tanhs have long saturated.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn exp8(x: __m256) -> __m256 {
        let x = _mm256_min_ps(
            _mm256_max_ps(x, _mm256_set1_ps(-87.0)),
            _mm256_set1_ps(87.0),
        );
        let n = _mm256_round_ps(
            _mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)),
            _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC,
        );
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693_359_4), x);
        let r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.121_944_4e-4), r);
        let mut p = _mm256_set1_ps(1.987_569_2e-4);
        for c in [1.398_2e-3, 8.333_452e-3, 4.166_579_6e-2, 0.166_666_65, 0.5] {
            p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
        }
        let p = _mm256_fmadd_ps(
            _mm256_mul_ps(p, r),
            r,
            _mm256_add_ps(r, _mm256_set1_ps(1.0)),
        );
        let two_n = _mm256_castsi256_ps(_mm256_slli_epi32(
            _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
            23,
        ));
        _mm256_mul_ps(p, two_n)
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn sigmoid8(x: __m256) -> __m256 {
        let one = _mm256_set1_ps(1.0);
        _mm256_div_ps(
            one,
            _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))),
        )
    }

    /// tanh x = 2 σ(2x) − 1: absolute error about 1e-7 near 0, which is what the next
    /// layer's products see.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn tanh8(x: __m256) -> __m256 {
        let two = _mm256_set1_ps(2.0);
        _mm256_fmsub_ps(two, sigmoid8(_mm256_mul_ps(two, x)), _mm256_set1_ps(1.0))
    }

    /// # Safety
    /// The CPU must support AVX2 and FMA (checked by `best`).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn cell_inner(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
        let u = c.len();
        assert!(gates.len() >= 4 * u && h.len() >= u);
        let g = gates.as_ptr();
        let mut k = 0;
        while k + 8 <= u {
            let i = sigmoid8(_mm256_loadu_ps(g.add(k)));
            let f = sigmoid8(_mm256_loadu_ps(g.add(u + k)));
            let z = tanh8(_mm256_loadu_ps(g.add(2 * u + k)));
            let o = sigmoid8(_mm256_loadu_ps(g.add(3 * u + k)));
            let ck = _mm256_fmadd_ps(f, _mm256_loadu_ps(c.as_ptr().add(k)), _mm256_mul_ps(i, z));
            _mm256_storeu_ps(c.as_mut_ptr().add(k), ck);
            _mm256_storeu_ps(h.as_mut_ptr().add(k), _mm256_mul_ps(o, tanh8(ck)));
            k += 8;
        }
        // The units past the last whole vector, one at a time.
        for k in k..u {
            let at = |gate: usize| gates[gate * u + k];
            let (i, f, o) = (
                super::sigmoid(at(0)),
                super::sigmoid(at(1)),
                super::sigmoid(at(3)),
            );
            c[k] = f * c[k] + i * at(2).tanh();
            h[k] = o * c[k].tanh();
        }
    }

    fn matvec(rows: &[f32], x: &[f32], bias: &[f32], out: &mut [f32]) {
        // SAFETY: only handed out by `best` after detecting both features.
        unsafe { matvec_inner(rows, x, bias, out) }
    }

    fn cell(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
        // SAFETY: as above.
        unsafe { cell_inner(gates, c, h) }
    }

    pub const AVX2_FMA: super::Kernel = super::Kernel {
        name: "avx2+fma",
        matvec,
        cell,
    };

    pub fn supported() -> bool {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
}

/// The fastest kernel this CPU supports.
pub fn best() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    if x86::supported() {
        return x86::AVX2_FMA;
    }
    PORTABLE
}

/// Every kernel available here, for tests and benchmarks.
pub fn kernels() -> Vec<Kernel> {
    let mut k = vec![PORTABLE];
    #[cfg(target_arch = "x86_64")]
    if x86::supported() {
        k.push(x86::AVX2_FMA);
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, a: usize, b: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * a % b) as f32 - (b / 2) as f32) * scale)
            .collect()
    }

    #[test]
    fn matvec_agrees_with_plain_sums() {
        // Row counts that leave 0..3 rows past the blocks of four; widths with and without
        // tails past 16 and 8.
        for (m, n) in [
            (1, 0),
            (1, 1),
            (3, 7),
            (4, 8),
            (5, 15),
            (7, 16),
            (8, 17),
            (9, 100),
            (6, 384),
        ] {
            let rows = pattern(m * n, 7, 13, 0.1);
            let x = pattern(n, 5, 11, 0.2);
            let bias = pattern(m, 3, 7, 0.5);
            for kernel in kernels() {
                let mut out = vec![f32::NAN; m];
                (kernel.matvec)(&rows, &x, &bias, &mut out);
                for r in 0..m {
                    let plain: f32 = bias[r]
                        + rows[r * n..(r + 1) * n]
                            .iter()
                            .zip(&x)
                            .map(|(a, b)| a * b)
                            .sum::<f32>();
                    assert!(
                        (out[r] - plain).abs() < 1e-4,
                        "{} m={m} n={n} row {r}",
                        kernel.name
                    );
                }
            }
        }
    }

    #[test]
    fn cell_agrees_with_the_textbook_cell() {
        // 13 units: one whole vector and a tail. Pre-activations from deep saturation on
        // both sides (±100) through 0.
        for u in [1, 8, 13] {
            let gates: Vec<f32> = (0..4 * u)
                .map(|i| match i % 5 {
                    0 => 100.0,
                    1 => -100.0,
                    _ => (i as f32 - 2.0 * u as f32) * 0.37,
                })
                .collect();
            let c0 = pattern(u, 3, 7, 0.6);
            let (mut c_want, mut h_want) = (vec![0f64; u], vec![0f64; u]);
            for k in 0..u {
                let s = |x: f32| 1.0 / (1.0 + (-(x as f64)).exp());
                let g = |gate: usize| gates[gate * u + k];
                c_want[k] = s(g(1)) * c0[k] as f64 + s(g(0)) * (g(2) as f64).tanh();
                h_want[k] = s(g(3)) * c_want[k].tanh();
            }
            for kernel in kernels() {
                let (mut c, mut h) = (c0.clone(), vec![f32::NAN; u]);
                (kernel.cell)(&gates, &mut c, &mut h);
                for k in 0..u {
                    assert!(
                        (c[k] as f64 - c_want[k]).abs() < 1e-6,
                        "{} u={u} c[{k}]",
                        kernel.name
                    );
                    assert!(
                        (h[k] as f64 - h_want[k]).abs() < 1e-6,
                        "{} u={u} h[{k}]",
                        kernel.name
                    );
                }
            }
        }
    }
}
