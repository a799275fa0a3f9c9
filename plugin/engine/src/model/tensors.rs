//! The one home of the networks' tensor names and shapes, shared by the files, the candle
//! networks that train them and the packed real-time LSTM.
//!
//! Both networks are an embedding, stacked one-layer LSTMs and a linear head. The LSTM
//! tensors use PyTorch's names and gate order (input, forget, cell, output), so each layer
//! loads into a one-layer `torch.nn.LSTM` and candle-nn's stock `LSTM`.

/// A network's sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkShape {
    pub vocab: usize,
    pub embedding: usize,
    pub units: usize,
    pub layers: usize,
}

/// Prefixes (candle `VarBuilder` paths) and tensor names.
pub const EMBEDDING: &str = "embedding";
pub const LSTM: &str = "lstm";
pub const HEAD: &str = "head";
pub const WEIGHT: &str = "weight";
pub const BIAS: &str = "bias";
pub const WEIGHT_IH: &str = "weight_ih_l0";
pub const WEIGHT_HH: &str = "weight_hh_l0";
pub const BIAS_IH: &str = "bias_ih_l0";
pub const BIAS_HH: &str = "bias_hh_l0";

/// The full name of an LSTM layer's tensor (`lstm.N.weight_ih_l0`).
pub fn lstm(layer: usize, tensor: &str) -> String {
    format!("{LSTM}.{layer}.{tensor}")
}

impl NetworkShape {
    /// Inputs of LSTM layer `layer`: the embedding for the first, the units after it.
    pub fn layer_inputs(&self, layer: usize) -> usize {
        if layer == 0 {
            self.embedding
        } else {
            self.units
        }
    }

    /// Every tensor of the network with its shape, in file order.
    pub fn layout(&self) -> Vec<(String, Vec<usize>)> {
        let (v, e, u) = (self.vocab, self.embedding, self.units);
        let mut layout = vec![(format!("{EMBEDDING}.{WEIGHT}"), vec![v, e])];
        for l in 0..self.layers {
            layout.push((lstm(l, WEIGHT_IH), vec![4 * u, self.layer_inputs(l)]));
            layout.push((lstm(l, WEIGHT_HH), vec![4 * u, u]));
            layout.push((lstm(l, BIAS_IH), vec![4 * u]));
            layout.push((lstm(l, BIAS_HH), vec![4 * u]));
        }
        layout.push((format!("{HEAD}.{WEIGHT}"), vec![v, u]));
        layout.push((format!("{HEAD}.{BIAS}"), vec![v]));
        layout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_names_every_tensor_once() {
        let shape = NetworkShape {
            vocab: 10,
            embedding: 4,
            units: 8,
            layers: 2,
        };
        let layout = shape.layout();
        assert_eq!(layout.len(), 1 + 4 * 2 + 2);
        assert_eq!(layout[0], ("embedding.weight".to_owned(), vec![10, 4]));
        assert_eq!(layout[5], ("lstm.1.weight_ih_l0".to_owned(), vec![32, 8]));
        assert_eq!(layout[10], ("head.bias".to_owned(), vec![10]));
    }
}
