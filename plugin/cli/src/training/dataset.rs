//! Encoding a corpus into index streams with vocabularies built from its training files.

use crate::corpus::{Corpus, Split};
use crate::tokens::{piece_streams, Encoder, NoteVocab, OffsetGrid, OffsetVocab, TokenMode};

pub use crate::tokens::EncodedPiece;

#[derive(Debug, Clone)]
pub struct Dataset {
    pub mode: TokenMode,
    pub grid: OffsetGrid,
    pub note_vocab: NoteVocab,
    pub offset_vocab: OffsetVocab,
    pub train: Vec<EncodedPiece>,
    pub validation: Vec<EncodedPiece>,
}

impl Dataset {
    /// Builds vocabularies from the training pieces only, then encodes both sides.
    pub fn build(
        corpus: &Corpus,
        split: &Split,
        mode: TokenMode,
        grid: OffsetGrid,
        min_count: u64,
    ) -> Dataset {
        let (train_idx, val_idx) = split.partition(corpus);
        let raw = |idx: &[usize]| -> Vec<_> {
            idx.iter()
                .map(|&i| piece_streams(&corpus.pieces[i].1, &grid, mode))
                .collect()
        };
        let train_raw = raw(&train_idx);
        let note_vocab = NoteVocab::build(train_raw.iter().flat_map(|s| &s.notes), min_count);
        let offset_vocab = OffsetVocab::build(train_raw.iter().flat_map(|s| &s.offsets), min_count);
        let mut ds = Dataset {
            mode,
            grid,
            note_vocab,
            offset_vocab,
            train: Vec::new(),
            validation: Vec::new(),
        };
        ds.train = train_raw.iter().map(|s| ds.encode_streams(s)).collect();
        ds.validation = raw(&val_idx).iter().map(|s| ds.encode_streams(s)).collect();
        ds
    }

    pub fn encode_streams(&self, s: &crate::tokens::TokenStreams) -> EncodedPiece {
        Encoder {
            mode: self.mode,
            grid: &self.grid,
            notes: &self.note_vocab,
            offsets: &self.offset_vocab,
        }
        .encode_streams(s)
    }

    pub fn train_tokens(&self) -> usize {
        self.train.iter().map(|p| p.notes.len()).sum()
    }

    pub fn train_onsets(&self) -> usize {
        self.train.iter().map(|p| p.onsets).sum()
    }
}
