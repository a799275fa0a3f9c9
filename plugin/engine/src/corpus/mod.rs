//! Reading a folder of MIDI files into onset events, the raw material of training.

mod folder;
mod meter;
mod midi_file;
mod split;

pub use folder::{read_corpus, Corpus, CorpusError, PieceSource, SkippedFile};
pub use meter::{predominant_meter, BadMeter, BarPosition, Meter, MeterChange, MeterMap};
pub use midi_file::{read_piece, Onset, Piece, PieceError, MAX_CHORD_NOTES};
pub use split::{Split, SplitError};
