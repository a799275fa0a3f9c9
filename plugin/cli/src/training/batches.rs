//! Random windows of the concatenated training streams.

use super::dataset::EncodedPiece;
use candle_core::{Device, Result, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Draws (input, target) windows, target shifted by one, from one long stream of all
/// training pieces end to end. Crossing a piece boundary is fine: it teaches the model
/// to start a new tune.
pub struct WindowSampler {
    notes: Vec<u32>,
    offsets: Vec<u32>,
    seq_len: usize,
    rng: Pcg64Mcg,
}

/// One batch for both models, drawn at the same positions.
pub struct Batch {
    pub note_inputs: Tensor,
    pub note_targets: Tensor,
    pub offset_inputs: Tensor,
    pub offset_targets: Tensor,
}

impl WindowSampler {
    /// Returns `None` when the training data is shorter than one window.
    pub fn new(pieces: &[EncodedPiece], seq_len: usize, seed: u64) -> Option<Self> {
        let notes: Vec<u32> = pieces
            .iter()
            .flat_map(|p| p.notes.iter().copied())
            .collect();
        let offsets: Vec<u32> = pieces
            .iter()
            .flat_map(|p| p.offsets.iter().copied())
            .collect();
        (notes.len() > seq_len + 1).then(|| WindowSampler {
            notes,
            offsets,
            seq_len,
            rng: Pcg64Mcg::seed_from_u64(seed),
        })
    }

    pub fn batch(&mut self, batch_size: usize) -> Result<Batch> {
        let t = self.seq_len;
        let mut buf = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
        for _ in 0..batch_size {
            let start = self.rng.random_range(0..self.notes.len() - t - 1);
            buf[0].extend_from_slice(&self.notes[start..start + t]);
            buf[1].extend_from_slice(&self.notes[start + 1..start + t + 1]);
            buf[2].extend_from_slice(&self.offsets[start..start + t]);
            buf[3].extend_from_slice(&self.offsets[start + 1..start + t + 1]);
        }
        let [a, b, c, d] = buf.map(|v| Tensor::from_vec(v, (batch_size, t), &Device::Cpu));
        Ok(Batch {
            note_inputs: a?,
            note_targets: b?,
            offset_inputs: c?,
            offset_targets: d?,
        })
    }
}
