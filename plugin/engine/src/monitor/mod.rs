//! What a window sees of the audio thread: the notes DeepMIDI plays and hears, in beats,
//! and where the transport is, without the audio thread ever waiting for the window.
//!
//! - [`channel`]: the lock-free queue from the audio thread ([`MonitorSender`], fed by the
//!   player) to the window ([`MonitorReceiver`]), silent while no window is open.
//! - [`history`]: the window's memory of it, notes paired from their ons and offs.
//! - [`keep`]: the last bars of DeepMIDI's notes, kept as a MIDI file.
//!
//! The player's side (each note given its beat once the engine has placed the buffer) is
//! `report`, private to this crate.

pub mod channel;
pub mod history;
pub mod keep;
pub(crate) mod report;

pub use channel::{
    monitor_channel, MonitorEvent, MonitorReceiver, MonitorSender, Voice, MONITOR_CAPACITY,
};
pub use history::{HistoryNote, NoteHistory, REMEMBERED_BARS};
pub use keep::{keep_bars, keep_dir, kept_bars_smf, KeepBars, KeepError, KEEP_DIR_ENV};
