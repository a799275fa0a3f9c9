//! Step-by-step inference with candle-nn's stock `LSTM`: the yardstick the real-time engine's
//! own LSTM is tested and benchmarked against.

use super::network::NetworkShape;
use candle_core::{Device, IndexOp, Module, Result, Tensor};
use candle_nn::rnn::{LSTMConfig, LSTMState, LSTM, RNN};
use candle_nn::{Embedding, Linear, VarBuilder};

pub struct ReferenceModel {
    embedding: Embedding,
    layers: Vec<LSTM>,
    head: Linear,
    states: Vec<LSTMState>,
}

impl ReferenceModel {
    pub fn new(shape: NetworkShape, vb: VarBuilder) -> Result<Self> {
        let embedding = candle_nn::embedding(shape.vocab, shape.embedding, vb.pp("embedding"))?;
        let layers = (0..shape.layers)
            .map(|l| {
                let inputs = if l == 0 { shape.embedding } else { shape.units };
                candle_nn::lstm(
                    inputs,
                    shape.units,
                    LSTMConfig::default(),
                    vb.pp("lstm").pp(l),
                )
            })
            .collect::<Result<Vec<_>>>()?;
        let head = candle_nn::linear(shape.units, shape.vocab, vb.pp("head"))?;
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
