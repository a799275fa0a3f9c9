//! The `deepmidi` command line: the training path and everything offline.
//!
//! - Training path: `corpus` → `tokens` (from `deepmidi-engine`) → [`training`] (candle) →
//!   [`model`] files, judged by [`evaluation`].
//! - Offline generation with the engine's real-time generator: [`generate`], heard through
//!   [`sound`] and seen through [`pictures`].
//! - The commands themselves: [`commands`].

pub mod commands;
pub mod evaluation;
pub mod generate;
pub mod model;
pub mod pictures;
pub mod sound;
mod system_files;
pub mod training;

/// The engine's modules, under the names this crate has always used.
pub use deepmidi_engine::{corpus, harmony, realtime, tokens};
