//! What each token index means, in fixed-size form the audio thread can read.

use crate::corpus::MAX_CHORD_NOTES;
use crate::model::ModelMeta;
use crate::tokens::{OffsetGrid, TokenMode, UNKNOWN};

/// A chord without heap storage: the first `len` pitches are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chord {
    pub pitches: [u8; MAX_CHORD_NOTES],
    pub len: u8,
}

impl Chord {
    pub fn as_slice(&self) -> &[u8] {
        &self.pitches[..self.len as usize]
    }

    /// Adds a pitch unless present or full; keeps the pitches sorted.
    pub fn insert(&mut self, pitch: u8) {
        let n = self.len as usize;
        if n == MAX_CHORD_NOTES || self.as_slice().contains(&pitch) {
            return;
        }
        let at = self.as_slice().partition_point(|&p| p < pitch);
        self.pitches.copy_within(at..n, at + 1);
        self.pitches[at] = pitch;
        self.len += 1;
    }
}

pub struct TokenTables {
    pub mode: TokenMode,
    pub grid: OffsetGrid,
    /// Pitches of each note index; index 0 (UNKNOWN) is empty.
    pub chords: Vec<Chord>,
    /// Grid steps of each offset index; index 0 (UNKNOWN) is 0 and never sampled.
    pub offset_steps: Vec<u32>,
    /// Training frequencies, UNKNOWN zeroed: the first token after a reset is drawn from them.
    pub note_counts: Vec<f32>,
    pub offset_counts: Vec<f32>,
}

impl TokenTables {
    pub fn new(meta: &ModelMeta) -> TokenTables {
        let chords = (0..meta.note_vocab.len() as u32)
            .map(|i| {
                let mut c = Chord::default();
                for &p in meta.note_vocab.token(i).map(Vec::as_slice).unwrap_or(&[]) {
                    c.insert(p.min(127));
                }
                c
            })
            .collect();
        let offset_steps = (0..meta.offset_vocab.len() as u32)
            .map(|i| meta.offset_vocab.token(i).copied().unwrap_or(0))
            .collect();
        let counts = |c: &[u64]| -> Vec<f32> {
            c.iter()
                .enumerate()
                .map(|(i, &n)| if i as u32 == UNKNOWN { 0.0 } else { n as f32 })
                .collect()
        };
        TokenTables {
            mode: meta.mode,
            grid: meta.grid,
            chords,
            offset_steps,
            note_counts: counts(meta.note_vocab.counts()),
            offset_counts: counts(meta.offset_vocab.counts()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_insert_sorts_and_dedups() {
        let mut c = Chord::default();
        for p in [64, 60, 67, 60, 48] {
            c.insert(p);
        }
        assert_eq!(c.as_slice(), &[48, 60, 64, 67]);
        for p in 0..40 {
            c.insert(p);
        }
        assert_eq!(c.len as usize, MAX_CHORD_NOTES);
    }
}
