//! Offline generation: sampling a performance with the real-time engine's own sampling code,
//! and writing it out.

mod midi_writer;
mod performance;
mod sampling;

pub use midi_writer::{performance_to_smf_bytes, write_midi, TICKS_PER_QUARTER};
pub use performance::{Performance, PlayedNote};
pub use sampling::{generate, GenerateOptions};
