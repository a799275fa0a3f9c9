//! An event's notes as MIDI carries them: the one place a drawn chord becomes notes, for the
//! plugin's engine and `deepmidi generate` alike. MIDI's ranges live in the types (midly's
//! `u7` and `u4`, and [`Velocity`]), so no caller masks or clamps a number itself.

use super::engine::{EngineParams, Placement};
use super::generator::Event;
use crate::tokens::OffsetGrid;
use midly::num::{u4, u7};

/// A note-on's velocity, 1–127: 0 would be a note-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Velocity(u7);

impl Velocity {
    /// The nearest velocity a note-on can have.
    pub fn new(velocity: u8) -> Velocity {
        Velocity(u7::new(velocity.clamp(1, 127)))
    }

    pub fn get(self) -> u8 {
        self.0.as_int()
    }
}

/// One note of an event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventNote {
    pub pitch: u7,
    pub velocity: Velocity,
    pub channel: u4,
    /// How long it sounds, in beats.
    pub length: f64,
}

impl EngineParams {
    /// `event`'s notes under these settings, and where the next onset comes: the gap and
    /// lengths of [`EngineParams::place`], this velocity and channel.
    pub fn notes_of<'a>(
        &self,
        event: &'a Event,
        grid: &OffsetGrid,
    ) -> (Placement, impl Iterator<Item = EventNote> + 'a) {
        let placement = self.place(grid, event.offset_steps);
        let (velocity, channel) = (Velocity::new(self.velocity), u4::new(self.channel.min(15)));
        let notes = event.chord.as_slice().iter().map(move |&pitch| EventNote {
            pitch: u7::new(pitch.min(127)),
            velocity,
            channel,
            length: placement.length,
        });
        (placement, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::tables::Chord;

    #[test]
    fn out_of_range_settings_give_playable_notes() {
        let mut chord = Chord::default();
        chord.insert(60);
        chord.insert(64);
        let event = Event {
            chord,
            offset_steps: 24,
        };
        let params = EngineParams {
            velocity: 0,
            channel: 40,
            gate: 0.5,
            ..EngineParams::default()
        };
        let grid = OffsetGrid::default();
        let (placement, notes) = params.notes_of(&event, &grid);
        let notes: Vec<EventNote> = notes.collect();
        assert_eq!(placement, params.place(&grid, 24));
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[1].pitch.as_int(), 64);
        assert_eq!(notes[0].velocity.get(), 1, "a note-on is never velocity 0");
        assert_eq!(notes[0].channel.as_int(), 15);
        assert_eq!(notes[0].length, placement.length);
        assert_eq!(Velocity::new(200).get(), 127);
    }
}
