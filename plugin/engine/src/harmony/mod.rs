//! Keys, scales, note names and the pitch lock that fits DeepMIDI to a song: what the
//! real-time sampler may play, and the names the plugin and the command line show and read.
//!
//! - [`scale`]: the scales a lock offers, their names and their tonic triads.
//! - [`note_name`]: MIDI numbers as note names (C4 = 60) and back.
//! - [`key_finder`]: the major or minor key a window of notes sounds in.
//! - [`lock`]: a scale on a root plus a note range, as the set of pitches it allows.

pub mod key_finder;
pub mod lock;
pub mod note_name;
pub mod scale;

pub use key_finder::{estimate_key, KeyEstimate, KEY_WINDOW_ONSETS};
pub use lock::{Key, PitchLock, PitchSet};
pub use note_name::{parse_note, parse_root, NoteName, PitchClass};
pub use scale::Scale;
