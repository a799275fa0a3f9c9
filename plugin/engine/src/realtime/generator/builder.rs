//! The order in which one event's network steps are taken, as an explicit state machine.
//!
//! An event is a chord and the gap after it. A locked stream that is not in its key yet first
//! hears the key's tonic chord ([`Phase::Primer`]). In the joint architecture the note step
//! reads where its onset falls in the bar, so it waits for that ([`Phase::Position`]); the
//! offset step after it reads the note it times. In split mode a chord is several
//! (note, offset) pairs whose offsets are 0 until the last, so an offset step of 0 leads back
//! to [`Phase::Note`] until the chord is full.
//!
//! The builder knows no networks: the generator asks it what is next ([`EventBuilder::next`]),
//! takes that step, and reports what it drew. Each transition is one method, tested below.

use crate::corpus::MAX_CHORD_NOTES;
use crate::realtime::tables::Chord;
use crate::tokens::{MetricPosition, TokenMode};

/// What the event being drawn waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The onset's bar position, which the event's steps read (joint architecture).
    Position,
    /// Nothing: the first step decides under which settings the event is drawn.
    Start,
    /// The tonic primer: `heard` of its `len` notes heard so far.
    Primer { heard: usize, len: usize },
    /// A note step: the chord's next note.
    Note,
    /// An offset step, timing the newest note.
    Offset,
    /// Drawn: the grid steps to the next onset (at least one).
    Ready { offset_steps: u32 },
}

/// What the generator does next for the pending event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Nothing until the engine tells where the onset falls.
    WaitForPosition,
    /// Take the settings and decide on a primer ([`EventBuilder::begin`]).
    Begin,
    /// Hear the primer's note number `index`.
    HearPrimer {
        index: usize,
    },
    DrawNote,
    DrawOffset,
    Done,
}

/// The event being drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EventBuilder {
    phase: Phase,
    chord: Chord,
    notes: usize,
    mode: TokenMode,
    needs_position: bool,
    position: Option<MetricPosition>,
}

impl EventBuilder {
    /// A fresh event; with `needs_position` its steps wait for the onset's bar position.
    pub fn new(mode: TokenMode, needs_position: bool) -> EventBuilder {
        EventBuilder {
            phase: if needs_position {
                Phase::Position
            } else {
                Phase::Start
            },
            chord: Chord::default(),
            notes: 0,
            mode,
            needs_position,
            position: None,
        }
    }

    /// The same event, to be drawn afresh (under new settings): it keeps its position.
    pub fn restarted(&self) -> EventBuilder {
        let mut fresh = EventBuilder::new(self.mode, self.needs_position);
        if let Some(position) = self.position {
            fresh.set_position(position);
        }
        fresh
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    pub fn chord(&self) -> &Chord {
        &self.chord
    }

    pub fn position(&self) -> Option<MetricPosition> {
        self.position
    }

    /// Whether a step was taken for it: then the settings it is drawn under are fixed.
    pub fn begun(&self) -> bool {
        !matches!(self.phase, Phase::Position | Phase::Start)
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready { .. })
    }

    pub fn next(&self) -> Next {
        match self.phase {
            Phase::Position => Next::WaitForPosition,
            Phase::Start => Next::Begin,
            Phase::Primer { heard, .. } => Next::HearPrimer { index: heard },
            Phase::Note => Next::DrawNote,
            Phase::Offset => Next::DrawOffset,
            Phase::Ready { .. } => Next::Done,
        }
    }

    /// Where the onset falls. The first position given holds: what is drawn must not depend
    /// on when a buffer boundary came.
    pub fn set_position(&mut self, position: MetricPosition) {
        if self.position.is_some() {
            return;
        }
        self.position = Some(position);
        if self.phase == Phase::Position {
            self.phase = Phase::Start;
        }
    }

    /// The first step: `primer` notes of a tonic chord to hear first (0: none).
    pub fn begin(&mut self, primer: usize) {
        debug_assert_eq!(self.phase, Phase::Start);
        self.phase = match primer {
            0 => Phase::Note,
            len => Phase::Primer { heard: 0, len },
        };
    }

    /// One primer note was heard.
    pub fn heard_primer_note(&mut self) {
        debug_assert!(matches!(self.phase, Phase::Primer { .. }));
        if let Phase::Primer { heard, len } = self.phase {
            self.phase = if heard + 1 >= len {
                Phase::Note
            } else {
                Phase::Primer {
                    heard: heard + 1,
                    len,
                }
            };
        }
    }

    /// A note step drew `pitches` (one chord token, or one note of a split chord).
    pub fn drew_note(&mut self, pitches: &[u8]) {
        debug_assert_eq!(self.phase, Phase::Note);
        for &p in pitches {
            self.chord.insert(p);
        }
        self.notes += 1;
        self.phase = Phase::Offset;
    }

    /// An offset step drew `steps` grid steps. In split mode 0 means another note of the
    /// same chord follows, until [`MAX_CHORD_NOTES`] notes were drawn.
    pub fn drew_offset(&mut self, steps: u32) {
        debug_assert_eq!(self.phase, Phase::Offset);
        let chord_goes_on =
            self.mode == TokenMode::Split && steps == 0 && self.notes < MAX_CHORD_NOTES;
        self.phase = if chord_goes_on {
            Phase::Note
        } else {
            Phase::Ready {
                offset_steps: steps.max(1),
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Meter;
    use crate::tokens::OffsetGrid;

    fn downbeat() -> MetricPosition {
        OffsetGrid::default().position_in_bar(0.0, Meter::COMMON_TIME)
    }

    fn second_beat() -> MetricPosition {
        OffsetGrid::default().position_in_bar(1.0, Meter::COMMON_TIME)
    }

    #[test]
    fn a_joint_event_waits_for_its_position_then_draws_note_then_offset() {
        let mut b = EventBuilder::new(TokenMode::Chord, true);
        assert_eq!(b.next(), Next::WaitForPosition);
        assert!(!b.begun());
        b.set_position(downbeat());
        assert_eq!(b.next(), Next::Begin);
        assert!(!b.begun());
        b.begin(0);
        assert_eq!(b.next(), Next::DrawNote);
        assert!(b.begun());
        b.drew_note(&[60, 64]);
        assert_eq!(b.next(), Next::DrawOffset);
        b.drew_offset(12);
        assert_eq!(b.phase(), Phase::Ready { offset_steps: 12 });
        assert!(b.is_ready());
        assert_eq!(b.chord().as_slice(), &[60, 64]);
        assert_eq!(b.next(), Next::Done);
    }

    #[test]
    fn the_seed_architecture_begins_without_a_position() {
        assert_eq!(
            EventBuilder::new(TokenMode::Chord, false).next(),
            Next::Begin
        );
    }

    #[test]
    fn the_first_position_holds() {
        let mut b = EventBuilder::new(TokenMode::Chord, true);
        b.set_position(downbeat());
        b.set_position(second_beat());
        assert_eq!(b.position(), Some(downbeat()));
        // A position given while another phase runs is kept, and moves nothing.
        let mut seed = EventBuilder::new(TokenMode::Chord, false);
        seed.begin(0);
        seed.set_position(second_beat());
        assert_eq!(
            (seed.phase(), seed.position()),
            (Phase::Note, Some(second_beat()))
        );
    }

    #[test]
    fn a_chord_mode_offset_of_zero_still_moves_time() {
        let mut b = EventBuilder::new(TokenMode::Chord, false);
        b.begin(0);
        b.drew_note(&[60]);
        b.drew_offset(0);
        assert_eq!(b.phase(), Phase::Ready { offset_steps: 1 });
    }

    #[test]
    fn a_split_chord_goes_on_while_its_offsets_are_zero() {
        let mut b = EventBuilder::new(TokenMode::Split, false);
        b.begin(0);
        for pitch in [48, 55, 64] {
            b.drew_note(&[pitch]);
            assert_eq!(b.phase(), Phase::Offset);
            b.drew_offset(0);
            assert_eq!(b.phase(), Phase::Note);
        }
        b.drew_note(&[72]);
        b.drew_offset(24);
        assert_eq!(b.phase(), Phase::Ready { offset_steps: 24 });
        assert_eq!(b.chord().as_slice(), &[48, 55, 64, 72]);
    }

    #[test]
    fn a_split_chord_ends_after_the_most_notes_a_chord_holds() {
        let mut b = EventBuilder::new(TokenMode::Split, false);
        b.begin(0);
        for k in 0..MAX_CHORD_NOTES {
            assert_eq!(b.phase(), Phase::Note, "note {k}");
            b.drew_note(&[40 + k as u8]);
            b.drew_offset(0);
        }
        assert_eq!(b.phase(), Phase::Ready { offset_steps: 1 });
    }

    #[test]
    fn the_primer_is_heard_before_anything_is_drawn() {
        let mut b = EventBuilder::new(TokenMode::Chord, true);
        b.set_position(downbeat());
        b.begin(2);
        assert!(b.begun());
        assert_eq!(b.next(), Next::HearPrimer { index: 0 });
        b.heard_primer_note();
        assert_eq!(b.next(), Next::HearPrimer { index: 1 });
        b.heard_primer_note();
        assert_eq!(b.next(), Next::DrawNote);
    }

    #[test]
    fn a_restart_keeps_the_position_and_forgets_the_draws() {
        let mut b = EventBuilder::new(TokenMode::Split, true);
        b.set_position(downbeat());
        b.begin(0);
        b.drew_note(&[60]);
        b.drew_offset(0);
        let fresh = b.restarted();
        assert_eq!(fresh.next(), Next::Begin);
        assert!(fresh.chord().as_slice().is_empty());
        assert_eq!(fresh.position(), Some(downbeat()));
        let waiting = EventBuilder::new(TokenMode::Chord, true).restarted();
        assert_eq!(waiting.next(), Next::WaitForPosition);
    }
}
