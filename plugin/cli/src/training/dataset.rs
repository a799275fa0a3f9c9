//! Encoding a corpus into index streams with vocabularies built from its training files.

use crate::corpus::{Corpus, Split};
use crate::tokens::{
    piece_streams, transpose_chord, Encoder, NoteVocab, OffsetGrid, OffsetVocab, TokenMode,
    TokenStreams, Transpose,
};

pub use crate::tokens::EncodedPiece;

#[derive(Debug, Clone)]
pub struct Dataset {
    pub mode: TokenMode,
    pub grid: OffsetGrid,
    pub note_vocab: NoteVocab,
    pub offset_vocab: OffsetVocab,
    pub train: Vec<EncodedPiece>,
    pub validation: Vec<EncodedPiece>,
    /// The training pieces' tokens before lookup, for transposed windows.
    pub train_tokens: Vec<TokenStreams>,
    /// The shifts training windows are moved by; validation is never moved.
    pub transpose: Transpose,
}

impl Dataset {
    /// Each stream's vocabulary size.
    pub fn vocab_sizes(&self) -> crate::model::PerStream<usize> {
        crate::model::vocab_sizes(&self.note_vocab, &self.offset_vocab)
    }

    /// Builds vocabularies from the training pieces only (in every key of `transpose`), then
    /// encodes both sides.
    pub fn build(
        corpus: &Corpus,
        split: &Split,
        mode: TokenMode,
        grid: OffsetGrid,
        min_count: u64,
        transpose: Transpose,
    ) -> Dataset {
        let (train_idx, val_idx) = split.partition(corpus);
        let raw = |idx: &[usize]| -> Vec<_> {
            idx.iter()
                .map(|&i| piece_streams(&corpus.pieces[i].1, &grid, mode))
                .collect()
        };
        let train_raw = raw(&train_idx);
        let shifted: Vec<Vec<u8>> = transpose
            .shifts()
            .flat_map(|by| {
                let raw = &train_raw;
                raw.iter()
                    .flat_map(|s| &s.notes)
                    .filter_map(move |n| transpose_chord(n, by))
            })
            .collect();
        let note_vocab = NoteVocab::build(&shifted, min_count);
        let offset_vocab = OffsetVocab::build(train_raw.iter().flat_map(|s| &s.offsets), min_count);
        let mut ds = Dataset {
            mode,
            grid,
            note_vocab,
            offset_vocab,
            train: Vec::new(),
            validation: Vec::new(),
            train_tokens: Vec::new(),
            transpose,
        };
        ds.train = train_raw.iter().map(|s| ds.encode_streams(s)).collect();
        ds.validation = raw(&val_idx).iter().map(|s| ds.encode_streams(s)).collect();
        ds.train_tokens = train_raw;
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
