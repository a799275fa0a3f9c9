//! The window's memory of what it was told: notes with a start and an end, and where the
//! transport is.
//!
//! The monitor sends note-ons and note-offs; a piano roll draws notes. The history pairs
//! them, and remembers only what a window can show or keep: the notes of the last
//! [`REMEMBERED_BARS`] bars, and the notes still sounding.

use super::channel::{MonitorEvent, Voice};
use crate::corpus::Meter;

/// Complete bars before the playhead whose notes are remembered: the most a window keeps.
pub const REMEMBERED_BARS: u32 = 16;

/// A bound on the notes remembered, whatever the music (an absurdly dense stream, or a
/// transport that never moves): past it the oldest are forgotten.
const MAX_NOTES: usize = 65_536;

/// A playhead this close before a bar line (in beats) is on it: beats computed from samples
/// land a hair either side of where the host counts them.
const ON_THE_LINE: f64 = 1e-6;

/// A note, in quarter-note beats on the host's timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HistoryNote {
    pub start: f64,
    /// `None` while the note sounds.
    pub end: Option<f64>,
    pub pitch: u8,
    pub velocity: u8,
    pub channel: u8,
    pub voice: Voice,
}

/// The latest transport: the playhead and the bars it moves through.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Playhead {
    beat: f64,
    bpm: f64,
    bar_start: f64,
    meter: Meter,
}

impl Playhead {
    /// The bar line at or before the playhead.
    fn last_bar_line(&self) -> f64 {
        let len = self.meter.bar_quarters();
        let bars = ((self.beat - self.bar_start) / len + ON_THE_LINE / len).floor();
        self.bar_start + bars * len
    }
}

/// Fed from `MonitorReceiver::drain`; read by whoever draws or keeps the notes.
#[derive(Clone, Debug, Default)]
pub struct NoteHistory {
    /// In start order.
    notes: Vec<HistoryNote>,
    playhead: Option<Playhead>,
    /// A break came since the latest transport: the next playhead may lie behind notes
    /// already heard (a loop, a locate back).
    broke: bool,
}

impl NoteHistory {
    pub fn new() -> Self {
        NoteHistory::default()
    }

    /// Takes in one event. Events with a beat or tempo that is not a finite number are
    /// ignored.
    pub fn add(&mut self, e: MonitorEvent) {
        match e {
            MonitorEvent::Transport {
                beat,
                bpm,
                bar_start,
                numerator,
                denominator,
            } => {
                if !(beat.is_finite() && bar_start.is_finite() && bpm.is_finite() && bpm > 0.0) {
                    return;
                }
                if std::mem::take(&mut self.broke) {
                    // The timeline went back: the notes from here on were heard on an
                    // earlier pass, and the one coming now replaces them.
                    self.notes.retain(|n| n.start < beat);
                }
                self.playhead = Some(Playhead {
                    beat,
                    bpm,
                    bar_start,
                    // As the engine reads a host without a usable meter: 4/4.
                    meter: Meter::new(numerator, denominator).unwrap_or(Meter::COMMON_TIME),
                });
                self.forget_old();
            }
            MonitorEvent::Note { beat, .. } if !beat.is_finite() => {}
            MonitorEvent::Note {
                beat,
                pitch,
                velocity,
                channel,
                voice,
            } => {
                // A key struck again ends its earlier strike.
                self.end(beat, |n| {
                    (n.pitch, n.channel, n.voice) == (pitch, channel, voice)
                });
                if velocity > 0 {
                    self.start(HistoryNote {
                        start: beat,
                        end: None,
                        pitch,
                        velocity,
                        channel,
                        voice,
                    });
                }
            }
            MonitorEvent::Break { beat } if !beat.is_finite() => {}
            MonitorEvent::Break { beat } => {
                self.end(beat, |_| true);
                self.broke = true;
            }
        }
    }

    /// The latest transport's beat: where the playhead is.
    pub fn playhead(&self) -> Option<f64> {
        self.playhead.map(|p| p.beat)
    }

    pub fn bpm(&self) -> Option<f64> {
        self.playhead.map(|p| p.bpm)
    }

    pub fn meter(&self) -> Option<Meter> {
        self.playhead.map(|p| p.meter)
    }

    /// The beat a bar starts at: the bar lines are this plus whole bars of [`Self::meter`].
    pub fn bar_start(&self) -> Option<f64> {
        self.playhead.map(|p| p.bar_start)
    }

    /// The notes remembered, in start order.
    pub fn notes(&self) -> &[HistoryNote] {
        &self.notes
    }

    /// The last `bars` complete bars before the playhead (bar lines from the host's bar
    /// start and meter): their first beat and the beat they end at (the bar line at or
    /// before the playhead).
    pub fn last_bars(&self, bars: u32) -> Option<(f64, f64)> {
        let playhead = self.playhead?;
        let end = playhead.last_bar_line();
        Some((end - f64::from(bars) * playhead.meter.bar_quarters(), end))
    }

    fn start(&mut self, note: HistoryNote) {
        // Notes come in time order, but a tempo drift can move a beat back by a hair.
        let at = self.notes.partition_point(|n| n.start <= note.start);
        self.notes.insert(at, note);
        if self.notes.len() > MAX_NOTES {
            self.notes.drain(..self.notes.len() - MAX_NOTES);
        }
    }

    /// Ends the sounding notes `which` picks at `beat` (never before they started). A note
    /// sounds on one key of one voice at a time, so at most one matches a key.
    fn end(&mut self, beat: f64, which: impl Fn(&HistoryNote) -> bool) {
        for n in self
            .notes
            .iter_mut()
            .filter(|n| n.end.is_none() && which(n))
        {
            n.end = Some(beat.max(n.start));
        }
    }

    /// Forgets the notes that ended before the oldest bar a window can keep.
    fn forget_old(&mut self) {
        if let Some((oldest, _)) = self.last_bars(REMEMBERED_BARS) {
            self.notes.retain(|n| n.end.is_none_or(|end| end >= oldest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transport(beat: f64) -> MonitorEvent {
        MonitorEvent::Transport {
            beat,
            bpm: 90.0,
            bar_start: 1.5,
            numerator: 3,
            denominator: 4,
        }
    }

    fn note(beat: f64, pitch: u8, velocity: u8, voice: Voice) -> MonitorEvent {
        MonitorEvent::Note {
            beat,
            pitch,
            velocity,
            channel: 0,
            voice,
        }
    }

    fn spans(h: &NoteHistory) -> Vec<(f64, Option<f64>, u8, Voice)> {
        h.notes()
            .iter()
            .map(|n| (n.start, n.end, n.pitch, n.voice))
            .collect()
    }

    #[test]
    fn note_ons_and_offs_pair_into_notes_per_key_and_voice() {
        let mut h = NoteHistory::new();
        h.add(transport(0.0));
        for e in [
            note(0.0, 60, 90, Voice::Played),
            note(0.5, 60, 70, Voice::Heard),
            note(1.0, 60, 0, Voice::Played),
            note(1.0, 62, 0, Voice::Played), // ends nothing: 62 never started
            note(2.0, 60, 80, Voice::Heard), // struck again: the first strike ends
            note(3.0, 64, 90, Voice::Played),
        ] {
            h.add(e);
        }
        assert_eq!(
            spans(&h),
            [
                (0.0, Some(1.0), 60, Voice::Played),
                (0.5, Some(2.0), 60, Voice::Heard),
                (2.0, None, 60, Voice::Heard),
                (3.0, None, 64, Voice::Played),
            ]
        );
        assert_eq!(h.notes()[2].velocity, 80);
        assert_eq!((h.playhead(), h.bpm()), (Some(0.0), Some(90.0)));
        assert_eq!(h.meter(), "3/4".parse().ok());
        assert_eq!(h.bar_start(), Some(1.5));
    }

    /// A loop: the notes sounding end where the pass ended, and the next pass replaces what
    /// the previous one played from the loop start on.
    #[test]
    fn a_break_ends_the_sounding_notes_and_a_jump_back_replaces_the_pass() {
        let mut h = NoteHistory::new();
        h.add(transport(0.0));
        h.add(note(1.0, 60, 90, Voice::Played));
        h.add(note(5.0, 62, 90, Voice::Played));
        h.add(transport(7.0));
        h.add(MonitorEvent::Break { beat: 8.0 });
        h.add(note(9.0, 64, 0, Voice::Played)); // after the break, an off ends nothing
        assert_eq!(
            spans(&h),
            [
                (1.0, Some(8.0), 60, Voice::Played),
                (5.0, Some(8.0), 62, Voice::Played)
            ]
        );
        h.add(transport(4.0));
        h.add(note(4.5, 65, 90, Voice::Played));
        assert_eq!(
            spans(&h),
            [
                (1.0, Some(8.0), 60, Voice::Played),
                (4.5, None, 65, Voice::Played)
            ]
        );
        // Without a break, a transport never forgets notes ahead of it (a tempo drift).
        h.add(transport(4.4));
        assert_eq!(h.notes().len(), 2);
    }

    #[test]
    fn the_last_bars_end_on_the_bar_line_before_the_playhead() {
        let mut h = NoteHistory::new();
        assert_eq!(h.last_bars(4), None);
        // 3/4 bars from beat 1.5: lines at 16.5 and 19.5.
        h.add(transport(20.0));
        assert_eq!(h.last_bars(4), Some((7.5, 19.5)));
        // A playhead on a line, give or take a hair, completes the bar before it.
        h.add(transport(19.5 - 1e-9));
        assert_eq!(h.last_bars(1), Some((16.5, 19.5)));
        h.add(transport(19.5 - 1e-3));
        assert_eq!(h.last_bars(1), Some((13.5, 16.5)));
    }

    #[test]
    fn notes_that_ended_before_the_remembered_bars_are_forgotten() {
        let mut h = NoteHistory::new();
        h.add(transport(0.0));
        h.add(note(1.0, 60, 90, Voice::Played));
        h.add(note(2.0, 60, 0, Voice::Played));
        h.add(note(2.0, 48, 90, Voice::Heard)); // held all along
        h.add(note(9.0, 62, 90, Voice::Played));
        h.add(note(10.0, 62, 0, Voice::Played));
        // 16 bars of 3/4 before the line at 55.5 start at 7.5: the first note goes.
        h.add(transport(56.0));
        assert_eq!(h.last_bars(REMEMBERED_BARS), Some((7.5, 55.5)));
        let pitches: Vec<u8> = h.notes().iter().map(|n| n.pitch).collect();
        assert_eq!(pitches, [48, 62]);
    }

    #[test]
    fn events_without_a_finite_beat_are_ignored() {
        let mut h = NoteHistory::new();
        h.add(transport(f64::NAN));
        h.add(note(f64::INFINITY, 60, 90, Voice::Played));
        h.add(MonitorEvent::Break { beat: f64::NAN });
        assert_eq!((h.playhead(), h.notes().len()), (None, 0));
    }
}
