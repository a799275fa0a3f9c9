//! One LSTM layer over a whole window, forward and backward, on plain slices.
//!
//! Layout is candle's: (batch, time, ·), row-major, gates in the order input, forget, cell,
//! output. The weights come packed as one (4·units, inputs + units + 1) matrix, each row
//! `[w_ih | w_hh | bias]`, so that their whole gradient is one matrix product too.
//!
//! Batch rows are independent through time, so the batch is cut into one contiguous block
//! per core and each block runs its projection, its recurrence and their gradients alone:
//! no synchronisation per time step. The blocks run on candle's own CPU worker pool: a
//! second pool would leave two sets of idle threads spinning against each other on the
//! same cores. Inside a block, the input projection of every step is
//! one matrix product, and a time step is one (rows × units)·(units × 4·units) product plus
//! the gate arithmetic, written so that it vectorises.

use super::activations::{sigmoid_in_place, tanh_in_place};
use super::matmul::{matmul, View, ViewMut};
use candle_core::utils::barrier_pool;
use std::sync::Mutex;

/// The sizes of one layer's window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub batch: usize,
    pub time: usize,
    pub inputs: usize,
    pub units: usize,
}

impl Dims {
    fn gates(&self) -> usize {
        4 * self.units
    }

    /// Columns of the packed weights: inputs, units and the bias.
    pub fn packed_cols(&self) -> usize {
        self.inputs + self.units + 1
    }

    /// Batch rows per block: one block per thread of the pool, none empty.
    fn block(&self) -> usize {
        self.batch.div_ceil(barrier_pool().n_workers() + 1).max(1)
    }

    fn with_batch(self, batch: usize) -> Dims {
        Dims { batch, ..self }
    }
}

/// Runs `f` on every block, each on its own thread of candle's pool (the calling thread is
/// one of them), and returns the results in block order.
fn for_each_block<T: Send, R: Send>(blocks: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let pool = barrier_pool();
    let threads = pool.n_workers() + 1;
    let slots: Vec<Mutex<(Option<T>, Option<R>)>> = blocks
        .into_iter()
        .map(|b| Mutex::new((Some(b), None)))
        .collect();
    let run = |i: usize| {
        let block = slots[i].lock().expect("block slot").0.take();
        if let Some(block) = block {
            let result = f(block);
            slots[i].lock().expect("block slot").1 = Some(result);
        }
    };
    if slots.len() == 1 {
        run(0);
    } else {
        pool.execute(|tid| (tid..slots.len()).step_by(threads).for_each(run));
    }
    slots
        .into_iter()
        .map(|s| {
            s.into_inner()
                .expect("block slot")
                .1
                .expect("every block ran")
        })
        .collect()
}

/// The packed weights, read as their three parts.
#[derive(Clone, Copy)]
struct Packed<'a> {
    data: &'a [f32],
    d: Dims,
}

impl<'a> Packed<'a> {
    /// (4·units × inputs)
    fn w_ih(&self) -> View<'a> {
        View::rows(
            self.data,
            self.d.gates(),
            self.d.inputs,
            self.d.packed_cols(),
        )
    }

    /// (4·units × units)
    fn w_hh(&self) -> View<'a> {
        let d = self.d;
        View::rows(&self.data[d.inputs..], d.gates(), d.units, d.packed_cols())
    }

    /// w_hh transposed, (units × 4·units) row-major: in that layout the matrix product of
    /// every step reads it as it is, where the packed layout would be repacked every step.
    fn w_hh_transposed(&self) -> Vec<f32> {
        let (u, g) = (self.d.units, self.d.gates());
        let mut out = vec![0.0; u * g];
        for (r, row) in self.data.chunks(self.d.packed_cols()).enumerate() {
            for (j, &x) in row[self.d.inputs..self.d.inputs + u].iter().enumerate() {
                out[j * g + r] = x;
            }
        }
        out
    }

    fn bias(&self) -> Vec<f32> {
        let cols = self.d.packed_cols();
        (0..self.d.gates())
            .map(|g| self.data[g * cols + cols - 1])
            .collect()
    }
}

/// What the backward pass needs from the forward one, besides its outputs: the activated
/// gates (batch, time, 4·units) and tanh of the cell (batch, time, units).
pub struct Activations {
    pub gates: Vec<f32>,
    pub tanh_c: Vec<f32>,
}

/// Forward outputs: the hidden and cell state after every step, each (batch, time, units).
pub struct Sequence<'a> {
    pub h: &'a mut [f32],
    pub c: &'a mut [f32],
}

/// Runs the window: `xs` is (batch, time, inputs), `packed` the layer's weights, `h0` and
/// `c0` (batch, units).
pub fn forward(
    d: Dims,
    xs: &[f32],
    packed: &[f32],
    h0: &[f32],
    c0: &[f32],
    out: Sequence<'_>,
) -> Activations {
    let (t, u, g) = (d.time, d.units, d.gates());
    assert_eq!(xs.len(), d.batch * t * d.inputs, "xs has the wrong size");
    assert_eq!(
        packed.len(),
        g * d.packed_cols(),
        "weights have the wrong size"
    );
    assert!(h0.len() == d.batch * u && c0.len() == d.batch * u);
    assert!(out.h.len() == d.batch * t * u && out.c.len() == d.batch * t * u);
    let w = Packed { data: packed, d };
    let bias = w.bias();
    let w_hh_t = w.w_hh_transposed();
    let mut acts = Activations {
        gates: vec![0.0; d.batch * t * g],
        tanh_c: vec![0.0; d.batch * t * u],
    };
    let rows = d.block();
    let seq = rows * t * u;
    let blocks: Vec<_> = acts
        .gates
        .chunks_mut(rows * t * g)
        .zip(acts.tanh_c.chunks_mut(seq))
        .zip(out.h.chunks_mut(seq).zip(out.c.chunks_mut(seq)))
        .zip(xs.chunks(rows * t * d.inputs))
        .zip(h0.chunks(rows * u).zip(c0.chunks(rows * u)))
        .collect();
    for_each_block(blocks, |((((gates, tanh_c), (h, c)), xs), (h0, c0))| {
        ForwardBlock {
            d: d.with_batch(h0.len() / u),
            w,
            w_hh_t: &w_hh_t,
            bias: &bias,
            xs,
            h0,
            c0,
            gates,
            tanh_c,
            h,
            c,
        }
        .run();
    });
    acts
}

struct ForwardBlock<'a> {
    d: Dims,
    w: Packed<'a>,
    w_hh_t: &'a [f32],
    bias: &'a [f32],
    xs: &'a [f32],
    h0: &'a [f32],
    c0: &'a [f32],
    gates: &'a mut [f32],
    tanh_c: &'a mut [f32],
    h: &'a mut [f32],
    c: &'a mut [f32],
}

/// Runs a block's `run_portable` compiled for the widest SIMD the CPU has (AVX-512, else
/// AVX2 and FMA): the gate arithmetic is most of a step's time outside the matrix products.
macro_rules! dispatch_simd {
    () => {
        fn run(self) {
            #[cfg(target_arch = "x86_64")]
            {
                if std::arch::is_x86_feature_detected!("avx512f") {
                    // SAFETY: the feature was just detected on this CPU.
                    return unsafe { self.run_avx512() };
                }
                if std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                {
                    // SAFETY: both features were just detected on this CPU.
                    return unsafe { self.run_avx2() };
                }
            }
            self.run_portable()
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f")]
        unsafe fn run_avx512(self) {
            self.run_portable()
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run_avx2(self) {
            self.run_portable()
        }
    };
}

impl ForwardBlock<'_> {
    dispatch_simd!();

    #[inline(always)]
    fn run_portable(self) {
        let Dims {
            batch,
            time,
            inputs,
            units,
        } = self.d;
        let g = 4 * units;
        for row in self.gates.chunks_mut(g) {
            row.copy_from_slice(self.bias);
        }
        matmul(
            ViewMut::rows(&mut *self.gates, batch * time, g, g),
            View::rows(self.xs, batch * time, inputs, inputs),
            self.w.w_ih().t(),
            true,
        );
        let w_hh_t = View::rows(self.w_hh_t, units, g, g);
        for t in 0..time {
            let h_prev = if t == 0 {
                View::rows(self.h0, batch, units, units)
            } else {
                View::rows(&self.h[(t - 1) * units..], batch, units, time * units)
            };
            let dst = ViewMut::rows(&mut self.gates[t * g..], batch, g, time * g);
            matmul(dst, h_prev, w_hh_t, true);
            for b in 0..batch {
                let row = b * time + t;
                let gates = &mut self.gates[row * g..(row + 1) * g];
                let (ifg, o) = gates.split_at_mut(3 * units);
                let (if_, cell) = ifg.split_at_mut(2 * units);
                sigmoid_in_place(if_);
                tanh_in_place(cell);
                sigmoid_in_place(o);
                let (i, f) = if_.split_at(units);
                let (before, now) = self.c.split_at_mut(row * units);
                let c_prev = if t == 0 {
                    &self.c0[b * units..(b + 1) * units]
                } else {
                    &before[(row - 1) * units..]
                };
                let c = &mut now[..units];
                let tanh_c = &mut self.tanh_c[row * units..(row + 1) * units];
                for j in 0..units {
                    c[j] = f[j] * c_prev[j] + i[j] * cell[j];
                    tanh_c[j] = c[j];
                }
                tanh_in_place(tanh_c);
                let h = &mut self.h[row * units..(row + 1) * units];
                for j in 0..units {
                    h[j] = o[j] * tanh_c[j];
                }
            }
        }
    }
}

/// Gradients of one window.
pub struct Gradients {
    pub xs: Vec<f32>,
    /// Packed like the weights: `[w_ih | w_hh | bias]` per gate row.
    pub packed: Vec<f32>,
    pub h0: Vec<f32>,
    pub c0: Vec<f32>,
}

/// What the backward pass reads: the forward's inputs and outputs and the gradients that
/// reach its outputs, `grad_h` and `grad_c`, each (batch, time, units).
pub struct BackwardInputs<'a> {
    pub xs: &'a [f32],
    pub packed: &'a [f32],
    pub h0: &'a [f32],
    pub c0: &'a [f32],
    pub h: &'a [f32],
    pub c: &'a [f32],
    pub acts: &'a Activations,
    pub grad_h: &'a [f32],
    pub grad_c: &'a [f32],
}

pub fn backward(d: Dims, x: BackwardInputs<'_>) -> Gradients {
    let (t, u, g) = (d.time, d.units, d.gates());
    assert!(x.grad_h.len() == d.batch * t * u && x.grad_c.len() == d.batch * t * u);
    let mut grads = Gradients {
        xs: vec![0.0; d.batch * t * d.inputs],
        packed: vec![0.0; g * d.packed_cols()],
        h0: vec![0.0; d.batch * u],
        c0: vec![0.0; d.batch * u],
    };
    let w = Packed { data: x.packed, d };
    let rows = d.block();
    let seq = rows * t * u;
    let blocks: Vec<_> = grads
        .xs
        .chunks_mut(rows * t * d.inputs)
        .zip(
            grads
                .h0
                .chunks_mut(rows * u)
                .zip(grads.c0.chunks_mut(rows * u)),
        )
        .zip(
            x.acts
                .gates
                .chunks(rows * t * g)
                .zip(x.acts.tanh_c.chunks(seq)),
        )
        .zip(x.h.chunks(seq).zip(x.c.chunks(seq)))
        .zip(x.h0.chunks(rows * u).zip(x.c0.chunks(rows * u)))
        .zip(x.xs.chunks(rows * t * d.inputs))
        .zip(x.grad_h.chunks(seq).zip(x.grad_c.chunks(seq)))
        .collect();
    // Each block returns its share of the weights' gradient; they are summed after.
    let partial = for_each_block(
        blocks,
        |((((((d_xs, (d_h, d_c)), (gates, tanh_c)), (h, c)), (h0, c0)), xs), (grad_h, grad_c))| {
            let mut d_packed = vec![0.0; g * d.packed_cols()];
            BackwardBlock {
                d: d.with_batch(h0.len() / u),
                w,
                gates,
                tanh_c,
                xs,
                h,
                c,
                h0,
                c0,
                grad_h,
                grad_c,
                d_gates: vec![0.0; gates.len()],
                d_xs,
                d_packed: &mut d_packed,
                d_h,
                d_c,
            }
            .run();
            d_packed
        },
    );
    for p in partial {
        for (sum, x) in grads.packed.iter_mut().zip(p) {
            *sum += x;
        }
    }
    grads
}

struct BackwardBlock<'a> {
    d: Dims,
    w: Packed<'a>,
    gates: &'a [f32],
    tanh_c: &'a [f32],
    xs: &'a [f32],
    h: &'a [f32],
    c: &'a [f32],
    h0: &'a [f32],
    c0: &'a [f32],
    grad_h: &'a [f32],
    grad_c: &'a [f32],
    /// The gradient of the gates' pre-activations, (rows, time, 4·units).
    d_gates: Vec<f32>,
    d_xs: &'a mut [f32],
    d_packed: &'a mut [f32],
    /// The gradient reaching h from the step after; after step 0, that of h0.
    d_h: &'a mut [f32],
    /// The gradient reaching c from the step after; after step 0, that of c0.
    d_c: &'a mut [f32],
}

impl BackwardBlock<'_> {
    dispatch_simd!();

    #[inline(always)]
    fn run_portable(mut self) {
        let Dims {
            batch,
            time,
            inputs,
            units,
        } = self.d;
        let g = 4 * units;
        let w_hh = self.w.w_hh();
        for t in (0..time).rev() {
            for b in 0..batch {
                let row = b * time + t;
                let gates = &self.gates[row * g..(row + 1) * g];
                let (i, rest) = gates.split_at(units);
                let (f, rest) = rest.split_at(units);
                let (cell, o) = rest.split_at(units);
                let tanh_c = &self.tanh_c[row * units..(row + 1) * units];
                let c_prev = if t == 0 {
                    &self.c0[b * units..(b + 1) * units]
                } else {
                    &self.c[(row - 1) * units..row * units]
                };
                let grad_h = &self.grad_h[row * units..(row + 1) * units];
                let grad_c = &self.grad_c[row * units..(row + 1) * units];
                let d_h = &self.d_h[b * units..(b + 1) * units];
                let d_c = &mut self.d_c[b * units..(b + 1) * units];
                let d_gates = &mut self.d_gates[row * g..(row + 1) * g];
                let (d_i, rest) = d_gates.split_at_mut(units);
                let (d_f, rest) = rest.split_at_mut(units);
                let (d_cell, d_o) = rest.split_at_mut(units);
                for j in 0..units {
                    let dh = grad_h[j] + d_h[j];
                    let dc = grad_c[j] + d_c[j] + dh * o[j] * (1.0 - tanh_c[j] * tanh_c[j]);
                    d_o[j] = dh * tanh_c[j] * o[j] * (1.0 - o[j]);
                    d_i[j] = dc * cell[j] * i[j] * (1.0 - i[j]);
                    d_f[j] = dc * c_prev[j] * f[j] * (1.0 - f[j]);
                    d_cell[j] = dc * i[j] * (1.0 - cell[j] * cell[j]);
                    d_c[j] = dc * f[j];
                }
            }
            let d_gates = View::rows(&self.d_gates[t * g..], batch, g, time * g);
            matmul(
                ViewMut::rows(&mut *self.d_h, batch, units, units),
                d_gates,
                w_hh,
                false,
            );
        }
        let all_gates = View::rows(&self.d_gates, batch * time, g, g);
        matmul(
            ViewMut::rows(self.d_xs, batch * time, inputs, inputs),
            all_gates,
            self.w.w_ih(),
            false,
        );
        // Each row's inputs to the gates, [x | h_prev | 1], so that one product gives the
        // gradient of all the packed weights.
        let cols = self.d.packed_cols();
        let mut feeding = vec![0.0; batch * time * cols];
        for (r, row) in feeding.chunks_mut(cols).enumerate() {
            let (b, t) = (r / time, r % time);
            row[..inputs].copy_from_slice(&self.xs[r * inputs..(r + 1) * inputs]);
            row[inputs..inputs + units].copy_from_slice(if t == 0 {
                &self.h0[b * units..(b + 1) * units]
            } else {
                &self.h[(r - 1) * units..r * units]
            });
            row[cols - 1] = 1.0;
        }
        matmul(
            ViewMut::rows(self.d_packed, g, cols, cols),
            all_gates.t(),
            View::rows(&feeding, batch * time, cols, cols),
            false,
        );
    }
}
