//! A generated performance in musical time, independent of any output format.

/// One note, positioned in quarter-note beats from the start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayedNote {
    pub start_beats: f64,
    pub length_beats: f64,
    pub pitch: u8,
    pub velocity: u8,
}

/// What `deepmidi generate` produces: notes sorted by start (then pitch), and the tempo and
/// meter to write, draw or render them with.
#[derive(Debug, Clone, PartialEq)]
pub struct Performance {
    pub notes: Vec<PlayedNote>,
    pub bpm: f64,
    /// Quarter notes per bar, for bar lines (4 for 4/4).
    pub beats_per_bar: f64,
}

impl Performance {
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
