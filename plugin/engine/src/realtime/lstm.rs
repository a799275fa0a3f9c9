//! An LSTM stack for batch-1 inference that never allocates after construction.
//!
//! Each layer's input and recurrent weights are packed side by side, row by row, so one
//! gate pre-activation is one dot product over `[x | h]`. Weights come from the same
//! tensors candle trains and its stock `LSTM` reads.

use super::kernels::{self, Kernel};
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
}

/// The hidden and cell state of every layer of a [`PackedLstm`]: the network's memory, as a
/// value apart from its weights (as in candle-nn's `rnn.rs`), so stepping back is one copy.
/// Layer by layer, `[h | c]`.
#[derive(Debug, PartialEq)]
pub struct LstmState(Vec<f32>);

impl Clone for LstmState {
    fn clone(&self) -> Self {
        LstmState(self.0.clone())
    }

    /// Reuses the buffer (same network, same size): no allocation.
    fn clone_from(&mut self, other: &Self) {
        self.0.clone_from(&other.0);
    }
}

impl LstmState {
    /// Floats held: every layer's hidden and cell state.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The zero state a sequence starts from.
    pub fn reset(&mut self) {
        self.0.fill(0.0);
    }
}

/// A packed network: its weights, and scratch space for one step. The state it steps is
/// passed in ([`LstmState`]).
pub struct PackedLstm {
    units: usize,
    embedding_dim: usize,
    /// What the first layer reads, in input-vector order.
    inputs: Vec<PackedInput>,
    layers: Vec<PackedLayer>,
    /// (vocab × units).
    head_weight: Vec<f32>,
    head_bias: Vec<f32>,
    /// `[x | h]` of the layer being stepped (as wide as the widest layer's).
    xh: Vec<f32>,
    gates: Vec<f32>,
    logits: Vec<f32>,
    kernel: Kernel,
}

impl PackedLstm {
    /// Packs one stream's network. Allocates: call off the audio thread.
    pub fn new(model: &ModelSet, kind: StreamKind) -> Result<PackedLstm, ModelError> {
        Self::with_kernel(model, kind, kernels::best())
    }

    pub fn with_kernel(
        model: &ModelSet,
        kind: StreamKind,
        kernel: Kernel,
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
        let widest = layers.iter().map(|l| l.inputs).max().unwrap_or(0);
        Ok(PackedLstm {
            units: u,
            embedding_dim: shape.embedding,
            inputs,
            layers,
            xh: vec![0.0; widest + u],
            gates: vec![0.0; 4 * u],
            head_weight: get(&format!("{HEAD}.{WEIGHT}"))?,
            head_bias: get(&format!("{HEAD}.{BIAS}"))?,
            logits: vec![0.0; v],
            kernel,
        })
    }

    pub fn vocab(&self) -> usize {
        self.logits.len()
    }

    /// The logits of the latest step.
    pub fn logits(&self) -> &[f32] {
        &self.logits
    }

    /// A zero state for this network. Allocates: call off the audio thread.
    pub fn new_state(&self) -> LstmState {
        LstmState(vec![0.0; self.layers.len() * 2 * self.units])
    }

    /// Feeds one step's inputs (the parts this network's architecture reads) to `state`
    /// (made by [`PackedLstm::new_state`]), which it moves on, and returns the logits of its
    /// stream's next token. Allocation-free; a token out of range is treated as index 0 (the
    /// UNKNOWN fallback).
    pub fn step(&mut self, state: &mut LstmState, step: &StepInput) -> &[f32] {
        let (u, e) = (self.units, self.embedding_dim);
        let kernel = self.kernel;
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
                    self.xh[at..at + e].copy_from_slice(&table[token * e..(token + 1) * e]);
                    at += e;
                }
                PackedInput::Metric => {
                    self.xh[at..at + METRIC_FEATURES]
                        .copy_from_slice(&metric_features(step.position));
                    at += METRIC_FEATURES;
                }
            }
        }
        debug_assert_eq!(at, self.layers[0].inputs);
        for (l, (layer, hc)) in self
            .layers
            .iter()
            .zip(state.0.chunks_exact_mut(2 * u))
            .enumerate()
        {
            // `xh[..n]` holds this layer's input: the features (first layer) or the output of
            // the layer below, copied there after its step.
            let n = layer.inputs;
            debug_assert!(l == 0 || n == u);
            let (h, c) = hc.split_at_mut(u);
            self.xh[n..n + u].copy_from_slice(h);
            (kernel.matvec)(
                &layer.weights,
                &self.xh[..n + u],
                &layer.bias,
                &mut self.gates,
            );
            (kernel.cell)(&self.gates, c, h);
            // The next layer reads this one's output.
            self.xh[..u].copy_from_slice(h);
        }
        (kernel.matvec)(
            &self.head_weight,
            &self.xh[..u],
            &self.head_bias,
            &mut self.logits,
        );
        &self.logits
    }
}
