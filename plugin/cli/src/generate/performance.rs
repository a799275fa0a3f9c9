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
    /// The time signature written to the file and drawn as bar lines.
    pub meter: crate::corpus::Meter,
}

/// A key going down or up, at a time in some unit (MIDI ticks, samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyEvent {
    pub at: u64,
    /// Ups sort before downs at the same time, so a repeated note is struck again.
    pub down: bool,
    pub pitch: u8,
    /// 1–127 on a key-down, 0 on a key-up.
    pub velocity: u8,
    /// Index of the note: a key-up ends its own note only, not a later strike of the same key.
    pub note: usize,
}

impl Performance {
    /// The one conversion from notes to timed key events (the MIDI writer and the sound
    /// renderer share it): a key-down at each note's start and a key-up at its end, at least
    /// one unit later, in time order. `units_per_beat` is ticks or samples per beat. The
    /// error names a note that cannot be placed in time.
    pub fn key_events(&self, units_per_beat: f64) -> Result<Vec<KeyEvent>, String> {
        let mut events = Vec::with_capacity(self.notes.len() * 2);
        for (i, n) in self.notes.iter().enumerate() {
            if !(n.start_beats.is_finite()
                && n.start_beats >= 0.0
                && n.length_beats.is_finite()
                && n.length_beats >= 0.0)
            {
                return Err(format!(
                    "note {i} has start {} and length {} beats: cannot place it in time",
                    n.start_beats, n.length_beats
                ));
            }
            if n.pitch > 127 {
                return Err(format!("note {i} has pitch {}, past MIDI's 127", n.pitch));
            }
            let on = (n.start_beats * units_per_beat).round() as u64;
            let off = ((n.start_beats + n.length_beats) * units_per_beat).round() as u64;
            // A velocity of 0 would be a key-up: the softest strike is 1.
            let down = |at, velocity| KeyEvent {
                at,
                down: velocity > 0,
                pitch: n.pitch,
                velocity,
                note: i,
            };
            events.push(down(on, n.velocity.clamp(1, 127)));
            events.push(down(off.max(on + 1), 0));
        }
        events.sort();
        Ok(events)
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
