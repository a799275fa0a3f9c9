//! DeepMIDI's engine: everything that neither trains nor knows a plugin framework.
//!
//! - [`corpus`]: reading MIDI files into pieces, and corpus folders.
//! - [`tokens`]: pieces as note and offset token streams, and their vocabularies.
//! - [`form`]: what each step looks back to, 1, 2, 4 and 8 bars earlier.
//! - [`harmony`]: scales, keys, note names and the pitch lock.
//! - [`controls`]: every control the musician sets, declared once (id, name, range,
//!   default, text, clamp) for the plugin's parameters, the engine and the command line.
//! - [`model`]: the model file format (metadata, tensor layout, weights as plain floats).
//! - [`realtime`]: the audio-thread path: packed LSTM, sampler, event generator, timeline
//!   and the transport-synced engine.
//! - [`catalogue`]: which model sets a plugin offers (built-in and the user's folder).
//! - [`player`]: what a host integration needs around the engine (model bank and switching,
//!   seed, reset and bypass edges, the record of sounding notes).
//! - [`monitor`]: what a window sees of the audio thread (a lock-free queue of the notes in
//!   beats), its memory of them, and keeping the last bars as a MIDI file.
//! - [`midi_out`]: the one Standard MIDI File encoder (kept bars, `deepmidi generate`).
//!
//! The training path (candle) lives in `deepmidi-cli`, the nice-plug shell in
//! `deepmidi-plugin`; both build on this crate.

pub mod catalogue;
pub mod controls;
pub mod corpus;
pub mod form;
pub mod harmony;
pub mod midi_out;
pub mod model;
pub mod monitor;
pub mod player;
pub mod realtime;
pub mod tokens;
