//! The one home of the networks' tensor names and shapes, shared by the files, the candle
//! networks that train them and the packed real-time LSTM.
//!
//! Both networks are embeddings (one per token input of their architecture, see
//! [`super::inputs`]), stacked one-layer LSTMs and a linear head. The LSTM tensors use
//! PyTorch's names and gate order (input, forget, cell, output), so each layer loads into a
//! one-layer `torch.nn.LSTM` and candle-nn's stock `LSTM`.

use super::inputs::{Arch, NetInput, METRIC_FEATURES};
use super::streams::{PerStream, StreamKind};

/// A network's architecture and sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetworkShape {
    pub arch: Arch,
    /// Which stream the network predicts.
    pub kind: StreamKind,
    /// Every stream's vocabulary size: the network embeds tokens of several.
    pub vocabs: PerStream<usize>,
    /// Width of each token embedding.
    pub embedding: usize,
    pub units: usize,
    pub layers: usize,
}

/// Prefixes (candle `VarBuilder` paths) and tensor names. The seed architecture's one
/// embedding is `embedding`; the joint one's are named after their input.
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
    /// The vocabulary the network predicts (its head's outputs).
    pub fn vocab(&self) -> usize {
        self.vocabs[self.kind]
    }

    /// What the network reads, in input-vector order.
    pub fn inputs(&self) -> &'static [NetInput] {
        self.arch.inputs(self.kind)
    }

    /// The embedding of a token input: its tensor prefix and vocabulary; `None` for the
    /// metric features, which are computed, not learned.
    pub fn embedding_of(&self, input: NetInput) -> Option<(String, usize)> {
        let vocab = self.vocabs[input.vocabulary()?];
        let prefix = match self.arch {
            Arch::Seed => EMBEDDING.to_owned(),
            Arch::Joint => input.embedding_name()?,
        };
        Some((prefix, vocab))
    }

    /// Width of one input: an embedding, or the metric features.
    pub fn input_width(&self, input: NetInput) -> usize {
        match input {
            NetInput::Metric => METRIC_FEATURES,
            NetInput::Prev(_) | NetInput::Current(_) => self.embedding,
        }
    }

    /// Inputs of LSTM layer `layer`: the concatenated inputs for the first, the units after.
    pub fn layer_inputs(&self, layer: usize) -> usize {
        if layer == 0 {
            self.inputs().iter().map(|&i| self.input_width(i)).sum()
        } else {
            self.units
        }
    }

    /// Every tensor of the network with its shape, in file order.
    pub fn layout(&self) -> Vec<(String, Vec<usize>)> {
        let (v, e, u) = (self.vocab(), self.embedding, self.units);
        let mut layout: Vec<(String, Vec<usize>)> = self
            .inputs()
            .iter()
            .filter_map(|&i| self.embedding_of(i))
            .map(|(prefix, vocab)| (format!("{prefix}.{WEIGHT}"), vec![vocab, e]))
            .collect();
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

    fn shape(arch: Arch, kind: StreamKind) -> NetworkShape {
        NetworkShape {
            arch,
            kind,
            vocabs: PerStream::from_fn(|k| match k {
                StreamKind::Note => 10,
                StreamKind::Offset => 7,
            }),
            embedding: 4,
            units: 8,
            layers: 2,
        }
    }

    #[test]
    fn layout_names_every_tensor_once() {
        let layout = shape(Arch::Seed, StreamKind::Note).layout();
        assert_eq!(layout.len(), 1 + 4 * 2 + 2);
        assert_eq!(layout[0], ("embedding.weight".to_owned(), vec![10, 4]));
        assert_eq!(layout[5], ("lstm.1.weight_ih_l0".to_owned(), vec![32, 8]));
        assert_eq!(layout[10], ("head.bias".to_owned(), vec![10]));
        let offset = shape(Arch::Seed, StreamKind::Offset).layout();
        assert_eq!(offset[0], ("embedding.weight".to_owned(), vec![7, 4]));
    }

    #[test]
    fn the_joint_offset_network_reads_both_streams_the_bar_and_its_note() {
        let s = shape(Arch::Joint, StreamKind::Offset);
        let layout = s.layout();
        let names: Vec<&str> = layout.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names[..3],
            [
                "embedding_prev_note.weight",
                "embedding_prev_offset.weight",
                "embedding_current_note.weight"
            ]
        );
        assert_eq!(layout[1].1, vec![7, 4]);
        assert_eq!(s.layer_inputs(0), 3 * 4 + METRIC_FEATURES);
        assert_eq!(
            layout[3],
            (
                "lstm.0.weight_ih_l0".to_owned(),
                vec![32, 3 * 4 + METRIC_FEATURES]
            )
        );
        assert_eq!(layout.last().unwrap(), &("head.bias".to_owned(), vec![7]));
        assert_eq!(
            shape(Arch::Joint, StreamKind::Note).layer_inputs(0),
            2 * 4 + METRIC_FEATURES
        );
    }
}
