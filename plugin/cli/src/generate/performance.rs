//! A generated performance in musical time, independent of any output format.

use deepmidi_engine::midi_out::{key_events, KeyEvent, TimedNote};

/// One note, positioned in quarter-note beats from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayedNote {
    pub start_beats: f64,
    pub length_beats: f64,
    pub pitch: u8,
    pub velocity: u8,
}

impl PlayedNote {
    /// The note as the MIDI writer places it, on `channel` (0-based).
    pub fn on_channel(self, channel: u8) -> TimedNote {
        TimedNote {
            start_beats: self.start_beats,
            length_beats: self.length_beats,
            pitch: self.pitch,
            velocity: self.velocity,
            channel,
        }
    }
}

/// What `deepmidi generate` produces: notes sorted by start (then pitch), and the tempo and
/// meter to write, draw or render them with.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub notes: Vec<PlayedNote>,
    pub bpm: f64,
    /// The time signature written to the file and drawn as bar lines.
    pub meter: crate::corpus::Meter,
}

impl Performance {
    /// The notes as timed key events on channel 0, in time order (the MIDI writer and the
    /// sound renderer share them; see [`key_events`]). `units_per_beat` is ticks or samples
    /// per beat. The error names a note that cannot be placed in time.
    pub fn key_events(&self, units_per_beat: f64) -> Result<Vec<KeyEvent>, String> {
        key_events(self.notes.iter().map(|n| n.on_channel(0)), units_per_beat)
    }

    /// The beat at which the last note ends.
    pub fn end_beats(&self) -> f64 {
        self.notes
            .iter()
            .map(|n| n.start_beats + n.length_beats)
            .fold(0.0, f64::max)
    }

    pub fn seconds_per_beat(&self) -> f64 {
        60.0 / self.bpm
    }
}
