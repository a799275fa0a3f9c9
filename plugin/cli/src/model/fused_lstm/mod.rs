//! A fused LSTM layer for training: the whole window's recurrence is one candle operation,
//! forward and backward, instead of a dozen small tensors per time step.
//!
//! The operation takes the layer's inputs, its weights and its initial state, and returns
//! every step's hidden and cell state. Its forward and backward passes are written out by
//! hand in [`layer`], and checked against candle's autograd in the tests.

mod activations;
mod layer;
mod matmul;

use candle_core::{CpuStorage, CustomOp3, DType, Error, Layout, Result, Shape, Storage, Tensor};
use layer::{Activations, BackwardInputs, Dims, Sequence};
use std::sync::OnceLock;

/// One LSTM layer's weights, PyTorch layout: `w_ih` is (4·units, inputs).
pub struct LayerWeights<'a> {
    pub w_ih: &'a Tensor,
    pub w_hh: &'a Tensor,
    /// The sum of the input and the recurrent bias, (4·units).
    pub bias: &'a Tensor,
}

/// Runs one layer over a window: `xs` is (batch, time, inputs), `h0` and `c0` are
/// (batch, units). Returns every step's hidden and cell state, each (batch, time, units);
/// all of it is differentiable, with respect to the inputs, the weights and the state.
pub fn lstm_layer(
    xs: &Tensor,
    w: LayerWeights<'_>,
    h0: &Tensor,
    c0: &Tensor,
) -> Result<(Tensor, Tensor)> {
    // Packed into one matrix, a few hundred kilobytes: the operation takes three tensors.
    let packed = Tensor::cat(&[w.w_ih, w.w_hh, &w.bias.unsqueeze(1)?], 1)?;
    let state0 = Tensor::stack(&[h0, c0], 0)?;
    let out = xs
        .contiguous()?
        .apply_op3(&packed, &state0, FusedLstm::default())?;
    Ok((out.get(0)?, out.get(1)?))
}

/// The operation: inputs (xs, packed `[w_ih | w_hh | bias]`, [h0; c0]), output [h; c],
/// (2, batch, time, units).
#[derive(Default)]
struct FusedLstm {
    /// The forward pass's activations, kept for the backward pass of the same graph node.
    saved: OnceLock<Activations>,
}

fn dims(xs: &Shape, packed: &Shape, state0: &Shape) -> Result<Dims> {
    let (batch, time, inputs) = xs.dims3()?;
    let units = state0.dims().get(2).copied().unwrap_or(0);
    let d = Dims {
        batch,
        time,
        inputs,
        units,
    };
    if packed.dims() != [4 * units, d.packed_cols()] || state0.dims() != [2, batch, units] {
        return Err(Error::Msg(format!(
            "fused LSTM: shapes xs {xs:?}, weights {packed:?}, state {state0:?} do not fit"
        )));
    }
    Ok(d)
}

/// The f32 elements of a contiguous CPU storage under its layout.
fn slice<'a>(storage: &'a CpuStorage, layout: &Layout) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        return Err(Error::Msg("fused LSTM: tensors must be f32".into()));
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => Err(Error::Msg("fused LSTM: tensors must be contiguous".into())),
    }
}

/// Calls `f` with the elements of `t`, made contiguous first where needed.
fn with_slice<R>(t: &Tensor, f: impl FnOnce(&[f32]) -> Result<R>) -> Result<R> {
    let t = t.contiguous()?.to_dtype(DType::F32)?;
    let (storage, layout) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(cpu) => f(slice(cpu, layout)?),
        _ => Err(Error::Msg("fused LSTM: runs on the CPU only".into())),
    }
}

impl CustomOp3 for FusedLstm {
    fn name(&self) -> &'static str {
        "fused-lstm"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let d = dims(l1.shape(), l2.shape(), l3.shape())?;
        let (xs, packed, state0) = (slice(s1, l1)?, slice(s2, l2)?, slice(s3, l3)?);
        let (h0, c0) = state0.split_at(d.batch * d.units);
        let n = d.batch * d.time * d.units;
        let mut out = vec![0f32; 2 * n];
        let (h, c) = out.split_at_mut(n);
        let acts = layer::forward(d, xs, packed, h0, c0, Sequence { h, c });
        // A node runs forward once; a second run would find the same values anyway.
        let _ = self.saved.set(acts);
        Ok((
            CpuStorage::F32(out),
            Shape::from((2, d.batch, d.time, d.units)),
        ))
    }

    fn bwd(
        &self,
        xs: &Tensor,
        packed: &Tensor,
        state0: &Tensor,
        res: &Tensor,
        grad_res: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let d = dims(xs.shape(), packed.shape(), state0.shape())?;
        let acts = self
            .saved
            .get()
            .ok_or_else(|| Error::Msg("fused LSTM: backward before forward".into()))?;
        let n = d.batch * d.time * d.units;
        let grads = with_slice(xs, |xs| {
            with_slice(packed, |packed| {
                with_slice(state0, |state0| {
                    with_slice(res, |res| {
                        with_slice(grad_res, |grad| {
                            let (h0, c0) = state0.split_at(d.batch * d.units);
                            let (h, c) = res.split_at(n);
                            let (grad_h, grad_c) = grad.split_at(n);
                            Ok(layer::backward(
                                d,
                                BackwardInputs {
                                    xs,
                                    packed,
                                    h0,
                                    c0,
                                    h,
                                    c,
                                    acts,
                                    grad_h,
                                    grad_c,
                                },
                            ))
                        })
                    })
                })
            })
        })?;
        let dev = xs.device();
        let mut state = grads.h0;
        state.extend_from_slice(&grads.c0);
        Ok((
            Some(Tensor::from_vec(grads.xs, xs.shape(), dev)?),
            Some(Tensor::from_vec(grads.packed, packed.shape(), dev)?),
            Some(Tensor::from_vec(state, state0.shape(), dev)?),
        ))
    }
}

#[cfg(test)]
mod tests;
