//! Token streams as vocabulary indices: the one encoder that training, evaluation and
//! priming the generator share.

use super::streams::{piece_streams, TokenMode, TokenStreams};
use super::{MetricPosition, NoteVocab, OffsetGrid, OffsetVocab};
use crate::corpus::Piece;
use crate::model::{PerStream, StreamKind};

/// One piece as vocabulary indices, both streams the same length.
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedPiece {
    pub notes: Vec<u32>,
    pub offsets: Vec<u32>,
    /// Where each step's onset falls in its bar.
    pub positions: Vec<MetricPosition>,
    /// Onsets covered, to report likelihoods per onset whatever the mode.
    pub onsets: usize,
}

/// How pieces become indices: the token mode, the offset grid and both vocabularies.
#[derive(Debug, Clone, Copy)]
pub struct Encoder<'a> {
    pub mode: TokenMode,
    pub grid: &'a OffsetGrid,
    pub notes: &'a NoteVocab,
    pub offsets: &'a OffsetVocab,
}

impl EncodedPiece {
    /// A stream's indices: the one place a stream finds its tokens in a piece.
    pub fn stream(&self, kind: StreamKind) -> &[u32] {
        match kind {
            StreamKind::Note => &self.notes,
            StreamKind::Offset => &self.offsets,
        }
    }

    /// Every stream's indices.
    pub fn streams(&self) -> PerStream<&[u32]> {
        PerStream::from_fn(|kind| self.stream(kind))
    }
}

impl Encoder<'_> {
    /// Tokens the vocabularies lack become `UNKNOWN`.
    pub fn encode_streams(&self, streams: &TokenStreams) -> EncodedPiece {
        EncodedPiece {
            notes: streams
                .notes
                .iter()
                .map(|n| self.notes.index_of(n))
                .collect(),
            offsets: streams
                .offsets
                .iter()
                .map(|o| self.offsets.index_of(o))
                .collect(),
            positions: streams.positions.clone(),
            onsets: streams.onsets,
        }
    }

    pub fn encode(&self, piece: &Piece) -> EncodedPiece {
        self.encode_streams(&piece_streams(piece, self.grid, self.mode))
    }
}
