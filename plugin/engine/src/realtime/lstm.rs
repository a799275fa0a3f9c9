//! An LSTM stack for batch-1 inference that never allocates after construction.
//!
//! Each layer's input and recurrent weights are packed side by side, row by row, so one
//! gate pre-activation is one dot product over `[x | h]`. Weights come from the same
//! tensors candle trains and its stock `LSTM` reads.

use super::dot::{best_dot, DotFn};
use crate::model::tensors::{self, BIAS, BIAS_HH, BIAS_IH, HEAD, WEIGHT, WEIGHT_HH, WEIGHT_IH};
use crate::model::{
    metric_features, ModelError, ModelSet, NetInput, StepInput, StreamKind, METRIC_FEATURES,
};

/// One part of the first layer's input.
enum PackedInput {
    /// An embedding table (vocab × width) and the input whose token picks its row.
    Embedding {
        input: NetInput,
        table: Vec<f32>,
        vocab: usize,
    },
    Metric,
}

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

/// A copy of a [`PackedLstm`]'s hidden and cell state, to step back to.
#[derive(Debug, Clone, PartialEq)]
pub struct LstmState(Vec<f32>);

pub struct PackedLstm {
    units: usize,
    embedding_dim: usize,
    /// What the first layer reads, in input-vector order.
    inputs: Vec<PackedInput>,
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
        let (u, v) = (shape.units, shape.vocab());
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
        let mut inputs = Vec::with_capacity(shape.inputs().len());
        for &input in shape.inputs() {
            inputs.push(match shape.embedding_of(input) {
                Some((prefix, vocab)) => PackedInput::Embedding {
                    input,
                    table: get(&format!("{prefix}.{WEIGHT}"))?,
                    vocab,
                },
                None => PackedInput::Metric,
            });
        }
        Ok(PackedLstm {
            units: u,
            embedding_dim: shape.embedding,
            inputs,
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

    /// The logits of the latest step.
    pub fn logits(&self) -> &[f32] {
        &self.logits
    }

    /// A buffer the size of this network's hidden and cell state. Allocates: call off the
    /// audio thread.
    pub fn new_state(&self) -> LstmState {
        LstmState(vec![0.0; self.layers.len() * 2 * self.units])
    }

    /// Copies the hidden and cell state into `to` (made by [`PackedLstm::new_state`]).
    pub fn save(&self, to: &mut LstmState) {
        let u = self.units;
        for (layer, saved) in self.layers.iter().zip(to.0.chunks_exact_mut(2 * u)) {
            saved[..u].copy_from_slice(&layer.xh[layer.inputs..]);
            saved[u..].copy_from_slice(&layer.c);
        }
    }

    /// Puts back a state [`PackedLstm::save`] copied.
    pub fn restore(&mut self, from: &LstmState) {
        let u = self.units;
        for (layer, saved) in self.layers.iter_mut().zip(from.0.chunks_exact(2 * u)) {
            layer.xh[layer.inputs..].copy_from_slice(&saved[..u]);
            layer.c.copy_from_slice(&saved[u..]);
        }
    }

    /// Zeroes the hidden and cell state of every layer.
    pub fn reset(&mut self) {
        for layer in &mut self.layers {
            layer.xh.fill(0.0);
            layer.c.fill(0.0);
        }
    }

    /// Feeds one step's inputs (the parts this network's architecture reads) and returns
    /// the logits of its stream's next token. Allocation-free; a token out of range is
    /// treated as index 0 (the UNKNOWN fallback).
    pub fn step(&mut self, step: &StepInput) -> &[f32] {
        let (u, e) = (self.units, self.embedding_dim);
        let dot = self.dot;
        let first = &mut self.layers[0];
        let mut at = 0;
        for input in &self.inputs {
            match input {
                PackedInput::Embedding {
                    input,
                    table,
                    vocab,
                } => {
                    let token = step.token(*input).unwrap_or(0) as usize;
                    let token = if token < *vocab { token } else { 0 };
                    first.xh[at..at + e].copy_from_slice(&table[token * e..(token + 1) * e]);
                    at += e;
                }
                PackedInput::Metric => {
                    first.xh[at..at + METRIC_FEATURES]
                        .copy_from_slice(&metric_features(step.position));
                    at += METRIC_FEATURES;
                }
            }
        }
        debug_assert_eq!(at, first.inputs);
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
