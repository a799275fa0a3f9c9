//! The real-time path: everything the audio thread runs. No plugin-framework types here.
//!
//! Construction (`Engine::new`) allocates; after that, `process`, `reset` and
//! `all_notes_off` do no heap allocation, take no lock, do no I/O, and bound their work.

mod budget;
mod engine;
mod generator;
pub mod kernels;
mod listener;
mod lstm;
mod notes;
mod sampler;
mod tables;
mod timeline;

pub use budget::{WorkBudget, STEPS_PER_SECOND};
pub use engine::{
    Bars, Engine, EngineEvent, EngineParams, PlacedBuffer, Placement, MAX_NOTE_BEATS,
};
pub use generator::{
    Event, EventGenerator, Steering, PRIMER_NOTES, PULL_IN_KEY, PULL_OUT_OF_KEY, REPLAYS_PER_STEP,
    TONIC_PULL,
};
pub use listener::{AnswerLength, Listening, NoteSet, CHORD_WINDOW_SECONDS, HEARD_QUEUE};
pub use lstm::{LstmState, PackedLstm};
pub use notes::{EventNote, Velocity};
pub use sampler::{sample_token, sample_token_where};
pub use tables::TokenTables;
pub(crate) use timeline::Continuity;
pub use timeline::{Transport, FREE_RUN_BPM, JUMP_BEATS, ROUNDING_BEATS};
