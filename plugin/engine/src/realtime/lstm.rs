//! An LSTM stack for batch-1 inference that never allocates after construction.
//!
//! Each layer's input and recurrent weights are packed side by side, row by row, so one
//! gate pre-activation is one dot product over `[x | h]`. Weights come from the same
//! tensors candle trains and its stock `LSTM` reads.

use super::dot::{best_dot, DotFn};
use crate::model::tensors::{
    self, BIAS, BIAS_HH, BIAS_IH, EMBEDDING, HEAD, WEIGHT, WEIGHT_HH, WEIGHT_IH,
};
use crate::model::{ModelError, ModelSet, StreamKind};

struct PackedLayer {
    inputs: usize,
    /// (4·units) rows of `inputs + units` weights: [W_ih row | W_hh row].
    weights: Vec<f32>,
    /// b_ih + b_hh.
    bias: Vec<f32>,
    /// `[x | h]` for the current step; h is the previous output.
    xh: Vec<f32>,
    c: Vec<f32>,
    gates: Vec<f32>,
}

pub struct PackedLstm {
    units: usize,
    embedding_dim: usize,
    /// (vocab × embedding).
    embedding: Vec<f32>,
    layers: Vec<PackedLayer>,
    /// (vocab × units).
    head_weight: Vec<f32>,
    head_bias: Vec<f32>,
    logits: Vec<f32>,
    dot: DotFn,
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

impl PackedLstm {
    /// Packs one stream's network. Allocates: call off the audio thread.
    pub fn new(model: &ModelSet, kind: StreamKind) -> Result<PackedLstm, ModelError> {
        Self::with_kernel(model, kind, best_dot())
    }

    pub fn with_kernel(
        model: &ModelSet,
        kind: StreamKind,
        dot: DotFn,
    ) -> Result<PackedLstm, ModelError> {
        let shape = model.shape(kind);
        let get = |name: &str| model.tensor(kind, name).map(<[f32]>::to_vec);
        let (u, e, v) = (shape.units, shape.embedding, shape.vocab);
        let mut layers = Vec::with_capacity(shape.layers);
        for l in 0..shape.layers {
            let inputs = shape.layer_inputs(l);
            let w_ih = get(&tensors::lstm(l, WEIGHT_IH))?;
            let w_hh = get(&tensors::lstm(l, WEIGHT_HH))?;
            let b_ih = get(&tensors::lstm(l, BIAS_IH))?;
            let b_hh = get(&tensors::lstm(l, BIAS_HH))?;
            let mut weights = Vec::with_capacity(4 * u * (inputs + u));
            for r in 0..4 * u {
                weights.extend_from_slice(&w_ih[r * inputs..(r + 1) * inputs]);
                weights.extend_from_slice(&w_hh[r * u..(r + 1) * u]);
            }
            layers.push(PackedLayer {
                inputs,
                weights,
                bias: b_ih.iter().zip(&b_hh).map(|(a, b)| a + b).collect(),
                xh: vec![0.0; inputs + u],
                c: vec![0.0; u],
                gates: vec![0.0; 4 * u],
            });
        }
        Ok(PackedLstm {
            units: u,
            embedding_dim: e,
            embedding: get(&format!("{EMBEDDING}.{WEIGHT}"))?,
            layers,
            head_weight: get(&format!("{HEAD}.{WEIGHT}"))?,
            head_bias: get(&format!("{HEAD}.{BIAS}"))?,
            logits: vec![0.0; v],
            dot,
        })
    }

    pub fn vocab(&self) -> usize {
        self.logits.len()
    }

    /// Zeroes the hidden and cell state of every layer.
    pub fn reset(&mut self) {
        for layer in &mut self.layers {
            layer.xh.fill(0.0);
            layer.c.fill(0.0);
        }
    }

    /// Feeds one token and returns the logits of the next. Allocation-free; `token` out of
    /// range is treated as index 0 (the UNKNOWN fallback).
    pub fn step(&mut self, token: u32) -> &[f32] {
        let v = self.vocab();
        let token = if (token as usize) < v {
            token as usize
        } else {
            0
        };
        let (u, e) = (self.units, self.embedding_dim);
        let dot = self.dot;
        let first = &mut self.layers[0];
        first.xh[..e].copy_from_slice(&self.embedding[token * e..(token + 1) * e]);
        for l in 0..self.layers.len() {
            if l > 0 {
                let (done, rest) = self.layers.split_at_mut(l);
                let prev = &done[l - 1];
                let inputs = rest[0].inputs;
                rest[0].xh[..inputs].copy_from_slice(&prev.xh[prev.inputs..]);
            }
            let layer = &mut self.layers[l];
            let row = layer.inputs + u;
            for (r, gate) in layer.gates.iter_mut().enumerate() {
                *gate = layer.bias[r] + dot(&layer.weights[r * row..(r + 1) * row], &layer.xh);
            }
            let h = &mut layer.xh[layer.inputs..];
            for k in 0..u {
                let i = sigmoid(layer.gates[k]);
                let f = sigmoid(layer.gates[u + k]);
                let g = layer.gates[2 * u + k].tanh();
                let o = sigmoid(layer.gates[3 * u + k]);
                layer.c[k] = f * layer.c[k] + i * g;
                h[k] = o * layer.c[k].tanh();
            }
        }
        let last = self.layers.last().expect("at least one layer");
        let h = &last.xh[last.inputs..];
        for (t, logit) in self.logits.iter_mut().enumerate() {
            *logit = self.head_bias[t] + dot(&self.head_weight[t * u..(t + 1) * u], h);
        }
        &self.logits
    }
}
