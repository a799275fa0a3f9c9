//! Step-by-step inference with candle-nn's stock `LSTM`: the yardstick the real-time engine's
//! own LSTM is tested and benchmarked against.

use super::embeddings::InputEmbeddings;
use candle_core::{Device, IndexOp, Module, Result, Tensor};
use candle_nn::rnn::{LSTMConfig, LSTMState, LSTM, RNN};
use candle_nn::{Linear, VarBuilder};
use deepmidi_engine::corpus::Meter;
use deepmidi_engine::model::tensors::{HEAD, LSTM};
use deepmidi_engine::model::{metric_features, NetworkShape, PerStream, StepInput};
use deepmidi_engine::tokens::OffsetGrid;
use rand::{Rng, SeedableRng};

pub struct ReferenceModel {
    embeddings: InputEmbeddings,
    layers: Vec<LSTM>,
    head: Linear,
    states: Vec<LSTMState>,
}

impl ReferenceModel {
    pub fn new(shape: NetworkShape, vb: VarBuilder) -> Result<Self> {
        let embeddings = InputEmbeddings::new(shape, &vb)?;
        let layers = (0..shape.layers)
            .map(|l| {
                let inputs = shape.layer_inputs(l);
                candle_nn::lstm(
                    inputs,
                    shape.units,
                    LSTMConfig::default(),
                    vb.pp(LSTM).pp(l),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let head = candle_nn::linear(shape.units, shape.vocab(), vb.pp(HEAD))?;
        let states = layers
            .iter()
            .map(|l| l.zero_state(1))
            .collect::<Result<Vec<_>>>()?;
        Ok(ReferenceModel {
            embeddings,
            layers,
            head,
            states,
        })
    }

    /// Feeds one step, returns the logits of the network's next token.
    pub fn step(&mut self, step: &StepInput) -> Result<Vec<f32>> {
        let mut x = self.embeddings.forward(|input| match step.token(input) {
            Some(token) => Tensor::new(&[token], &Device::Cpu),
            None => Tensor::new(&[metric_features(step.position)], &Device::Cpu),
        })?;
        for (layer, state) in self.layers.iter().zip(self.states.iter_mut()) {
            *state = layer.step(&x, state)?;
            x = state.h().clone();
        }
        self.head.forward(&x)?.i(0)?.to_vec1()
    }

    pub fn reset(&mut self) -> Result<()> {
        for (layer, state) in self.layers.iter().zip(self.states.iter_mut()) {
            *state = layer.zero_state(1)?;
        }
        Ok(())
    }
}

/// `n` random steps for `shape`'s networks: tokens anywhere in their vocabularies, positions
/// anywhere in bars of 4/4, 3/4 and 6/8. What the packed LSTM is compared and timed on.
pub fn random_steps(shape: NetworkShape, n: usize, seed: u64) -> Vec<StepInput> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
    let meters = ["4/4", "3/4", "6/8"].map(|m| m.parse::<Meter>().expect("a meter"));
    let grid = OffsetGrid::default();
    (0..n)
        .map(|_| {
            let meter = meters[rng.random_range(0..meters.len())];
            let quarters = rng.random_range(0.0..meter.bar_quarters());
            let mut token = |kind| rng.random_range(0..shape.vocabs[kind] as u32);
            StepInput {
                prev: PerStream::from_fn(&mut token),
                current: PerStream::from_fn(&mut token),
                position: grid.position_in_bar(quarters, meter),
            }
        })
        .collect()
}
