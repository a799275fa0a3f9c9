//! Turning onsets into the two token streams the models learn, and back.

mod encoding;
mod grid;
mod streams;
mod transpose;
mod vocab;

pub use encoding::{EncodedPiece, Encoder};
pub use grid::{MetricPosition, OffsetGrid};
pub use streams::{piece_streams, TokenMode, TokenStreams};
pub use transpose::{transpose_chord, BadTranspose, Transpose};
pub use vocab::{NoteVocab, OffsetVocab, Vocab, VocabError, UNKNOWN};
