//! A network's first-layer input: one embedding per token input, the metric features as
//! they are, side by side. Shared by the training network and candle's reference LSTM.

use candle_core::{Module, Result, Tensor, D};
use candle_nn::{Embedding, VarBuilder};
use deepmidi_engine::model::{NetInput, NetworkShape};

#[derive(Debug, Clone)]
pub(super) struct InputEmbeddings {
    /// One per input, in input-vector order; `None` for the metric features.
    parts: Vec<(NetInput, Option<Embedding>)>,
}

impl InputEmbeddings {
    pub fn new(shape: NetworkShape, vb: &VarBuilder) -> Result<Self> {
        let parts = shape
            .inputs()
            .iter()
            .map(|&input| {
                let table = shape
                    .embedding_of(input)
                    .map(|(prefix, vocab)| {
                        candle_nn::embedding(vocab, shape.embedding, vb.pp(prefix))
                    })
                    .transpose()?;
                Ok((input, table))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(InputEmbeddings { parts })
    }

    /// `read(input)` gives an input's token indices (or its metric features); the result is
    /// each embedded (or as read), concatenated along the last dimension.
    pub fn forward(&self, read: impl Fn(NetInput) -> Result<Tensor>) -> Result<Tensor> {
        let parts = self
            .parts
            .iter()
            .map(|(input, table)| {
                let x = read(*input)?;
                match table {
                    Some(table) => table.forward(&x),
                    None => Ok(x),
                }
            })
            .collect::<Result<Vec<_>>>()?;
        match parts.as_slice() {
            [one] => Ok(one.clone()),
            _ => Tensor::cat(&parts, D::Minus1),
        }
    }
}
