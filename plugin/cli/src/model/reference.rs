//! Step-by-step inference with candle-nn's stock `LSTM`: the yardstick the real-time engine's
//! own LSTM is tested and benchmarked against.

use candle_core::{Device, IndexOp, Module, Result, Tensor};
use candle_nn::rnn::{LSTMConfig, LSTMState, LSTM, RNN};
use candle_nn::{Embedding, Linear, VarBuilder};
use deepmidi_engine::model::tensors::{EMBEDDING, HEAD, LSTM};
use deepmidi_engine::model::NetworkShape;

pub struct ReferenceModel {
    embedding: Embedding,
    layers: Vec<LSTM>,
    head: Linear,
    states: Vec<LSTMState>,
}

impl ReferenceModel {
    pub fn new(shape: NetworkShape, vb: VarBuilder) -> Result<Self> {
        let embedding = candle_nn::embedding(shape.vocab, shape.embedding, vb.pp(EMBEDDING))?;
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
        let head = candle_nn::linear(shape.units, shape.vocab, vb.pp(HEAD))?;
        let states = layers
            .iter()
            .map(|l| l.zero_state(1))
            .collect::<Result<Vec<_>>>()?;
        Ok(ReferenceModel {
            embedding,
            layers,
            head,
            states,
        })
    }

    /// Feeds one token, returns the logits for the next one.
    pub fn step(&mut self, token: u32) -> Result<Vec<f32>> {
        let input = Tensor::new(&[token], &Device::Cpu)?;
        let mut x = self.embedding.forward(&input)?;
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
