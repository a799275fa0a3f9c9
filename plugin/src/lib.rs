//! DeepMIDI: two LSTMs, one for pitches and one for rhythm, trained on MIDI files and played
//! live as a CLAP/VST3 MIDI generator.
//!
//! - Training path: [`corpus`] → [`tokens`] → [`training`] → [`model`] files, judged by
//!   [`evaluation`].
//! - Real-time path: [`realtime`] (allocation-free LSTM, sampler, transport-synced engine;
//!   knows nothing of plugin frameworks), shared by [`generate`] and the plugin shell.
//! - The `deepmidi` command line: [`cli`].

pub mod cli;
pub mod corpus;
pub mod evaluation;
pub mod generate;
pub mod model;
pub mod pictures;
pub mod plugin_shell;
pub mod realtime;
pub mod sound;
mod system_files;
pub mod tokens;
pub mod training;
