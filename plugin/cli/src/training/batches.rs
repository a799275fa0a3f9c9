//! Random windows of the concatenated training streams, each moved to a random key where
//! the dataset asks for transposition.

use super::dataset::Dataset;
use crate::model::{PerStream, StepBatch, StepInput, StreamKind};
use crate::tokens::{transpose_chord, MetricPosition, Transpose, UNKNOWN};
use candle_core::{Device, Result, Tensor};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// Draws (input, target) windows, target shifted by one, from one long stream of all
/// training pieces end to end. Crossing a piece boundary is fine: it teaches the model
/// to start a new tune.
pub struct WindowSampler {
    /// The note stream once per shift of the dataset's range, lowest shift first; a token
    /// that leaves the MIDI range under a shift is `UNKNOWN` there (no window uses it).
    notes: Vec<Vec<u32>>,
    offsets: Vec<u32>,
    positions: Vec<MetricPosition>,
    /// The lowest and highest pitch of each step's token, to keep a shifted window in range.
    lowest: Vec<u8>,
    highest: Vec<u8>,
    transpose: Transpose,
    seq_len: usize,
    rng: Pcg64Mcg,
}

/// One batch for both models, drawn at the same positions: step k of a window reads step
/// k's tokens and step k + 1's position and note, and predicts step k + 1's tokens.
pub struct Batch {
    pub steps: StepBatch,
    /// Each stream's tokens to predict, (batch, time).
    pub targets: PerStream<Tensor>,
}

impl WindowSampler {
    /// Returns `None` when the training data is shorter than one window.
    pub fn new(ds: &Dataset, seq_len: usize, seed: u64) -> Option<Self> {
        let tokens: Vec<&Vec<u8>> = ds.train_tokens.iter().flat_map(|s| &s.notes).collect();
        let notes = ds
            .transpose
            .shifts()
            .map(|by| {
                tokens
                    .iter()
                    .map(|t| transpose_chord(t, by).map_or(UNKNOWN, |t| ds.note_vocab.index_of(&t)))
                    .collect()
            })
            .collect();
        let offsets: Vec<u32> = ds
            .train
            .iter()
            .flat_map(|p| p.offsets.iter().copied())
            .collect();
        let pitch = |f: fn(&[u8]) -> Option<&u8>| -> Vec<u8> {
            tokens.iter().map(|t| f(t).copied().unwrap_or(60)).collect()
        };
        let positions = ds
            .train
            .iter()
            .flat_map(|p| p.positions.iter().copied())
            .collect();
        (offsets.len() > seq_len + 1).then(|| WindowSampler {
            notes,
            offsets,
            positions,
            lowest: pitch(<[u8]>::first),
            highest: pitch(<[u8]>::last),
            transpose: ds.transpose,
            seq_len,
            rng: Pcg64Mcg::seed_from_u64(seed),
        })
    }

    /// A shift for the window of `len` steps at `start`, uniform over those of the range that
    /// keep all its pitches in MIDI range (always includes 0); the index of its stream.
    fn shift_for(&mut self, start: usize, len: usize) -> usize {
        if self.transpose.is_none() {
            return 0;
        }
        let low = self.lowest[start..start + len]
            .iter()
            .min()
            .copied()
            .unwrap_or(0);
        let high = self.highest[start..start + len]
            .iter()
            .max()
            .copied()
            .unwrap_or(127);
        let lo = i16::from(self.transpose.lo()).max(-i16::from(low));
        let hi = i16::from(self.transpose.hi()).min(127 - i16::from(high));
        let by = self.rng.random_range(lo..=hi);
        (by - i16::from(self.transpose.lo())) as usize
    }

    pub fn batch(&mut self, batch_size: usize) -> Result<Batch> {
        let t = self.seq_len;
        let mut steps = Vec::with_capacity(batch_size * t);
        let mut targets = PerStream::<Vec<u32>>::default();
        for _ in 0..batch_size {
            let start = self.rng.random_range(0..self.offsets.len() - t - 1);
            let shift = self.shift_for(start, t + 1);
            // Transposition moves the notes alone.
            let streams = PerStream::from_fn(|kind| match kind {
                StreamKind::Note => &self.notes[shift][start..start + t + 1],
                StreamKind::Offset => &self.offsets[start..start + t + 1],
            });
            steps.extend(next_steps(streams, &self.positions[start..start + t + 1]));
            for (kind, targets) in targets.iter_mut() {
                targets.extend_from_slice(&streams[kind][1..]);
            }
        }
        Ok(Batch {
            steps: StepBatch::new(&steps, batch_size, t)?,
            targets: PerStream::try_from_fn(|kind| {
                Tensor::from_vec(targets[kind].clone(), (batch_size, t), &Device::Cpu)
            })?,
        })
    }
}

/// The steps that predict tokens 1.. of a stretch: the one predicting token k reads token
/// k − 1 of every stream, and token k's (the note an offset network times) and position.
/// Training and evaluation both come here, so they read the same inputs.
pub fn next_steps<'a>(
    tokens: PerStream<&'a [u32]>,
    positions: &'a [MetricPosition],
) -> impl Iterator<Item = StepInput> + 'a {
    let len = tokens.values().map(|t| t.len()).min().unwrap_or(0);
    (1..len.min(positions.len())).map(move |k| StepInput {
        prev: tokens.map(|_, t| t[k - 1]),
        current: tokens.map(|_, t| t[k]),
        position: positions[k],
    })
}
