//! Captured note events, in absolute samples, and the checks the scenarios make on them.

use std::collections::BTreeMap;

/// A note event as the plugin sent it in one buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BufferEvent {
    /// Sample offset inside the buffer.
    pub offset: u32,
    pub pitch: u8,
    /// 0-based MIDI channel.
    pub channel: u8,
    /// 0–1.
    pub velocity: f64,
    pub on: bool,
}

/// A note event at an absolute sample time (samples since the host started processing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NoteEvent {
    pub time: i64,
    pub pitch: u8,
    pub channel: u8,
    pub velocity: f64,
    pub on: bool,
}

/// Everything a plugin instance sent, with a running check of the note-on/note-off pairing
/// and of each buffer's event order and bounds.
#[derive(Debug, Default, Clone)]
pub struct Capture {
    pub events: Vec<NoteEvent>,
    /// (channel, pitch) → time of the note-on still sounding.
    sounding: BTreeMap<(u8, u8), i64>,
    /// Everything wrong seen so far, in words.
    pub problems: Vec<String>,
    pub buffers: usize,
}

impl Capture {
    /// Records one buffer's events; `start` is the buffer's first sample.
    pub fn add_buffer(&mut self, start: i64, frames: u32, events: &[BufferEvent]) {
        self.buffers += 1;
        let mut last = 0;
        for e in events {
            if e.offset < last {
                self.problem(format!(
                    "buffer at {start}: event at offset {} after one at {last}",
                    e.offset
                ));
            }
            if e.offset >= frames.max(1) {
                self.problem(format!(
                    "buffer at {start} ({frames} frames): event at offset {}",
                    e.offset
                ));
            }
            last = e.offset;
            let time = start + i64::from(e.offset);
            let key = (e.channel, e.pitch);
            if e.on {
                if let Some(on) = self.sounding.insert(key, time) {
                    self.problem(format!(
                        "note-on {key:?} at {time} while the one from {on} still sounds"
                    ));
                }
            } else if self.sounding.remove(&key).is_none() {
                self.problem(format!("note-off {key:?} at {time} without a note-on"));
            }
            self.events.push(NoteEvent {
                time,
                pitch: e.pitch,
                channel: e.channel,
                velocity: e.velocity,
                on: e.on,
            });
        }
    }

    fn problem(&mut self, p: String) {
        if self.problems.len() < 20 {
            self.problems.push(p);
        }
    }

    /// Notes with a note-on and no note-off yet.
    pub fn sounding(&self) -> usize {
        self.sounding.len()
    }

    /// Sounding notes whose note-on came before sample `time`.
    pub fn sounding_from_before(&self, time: i64) -> usize {
        self.sounding.values().filter(|&&on| on < time).count()
    }

    pub fn note_ons(&self) -> impl Iterator<Item = &NoteEvent> {
        self.events.iter().filter(|e| e.on)
    }

    /// Distinct note-on times, in order.
    pub fn onset_times(&self) -> Vec<i64> {
        let mut times: Vec<i64> = self.note_ons().map(|e| e.time).collect();
        times.dedup();
        times
    }

    /// Panics listing the problems, if any.
    pub fn assert_clean(&self, what: &str) {
        assert!(
            self.problems.is_empty(),
            "{what}: {}",
            self.problems.join("\n")
        );
    }

    /// Shannon entropy (bits) of the note-on pitches.
    pub fn pitch_entropy(&self) -> f64 {
        let mut counts = [0usize; 128];
        let mut total = 0usize;
        for e in self.note_ons() {
            counts[usize::from(e.pitch & 127)] += 1;
            total += 1;
        }
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let p = c as f64 / total as f64;
                -p * p.log2()
            })
            .sum()
    }
}

/// A played note: note-on and note-off times (in samples, or ticks for a DAW's recording).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    pub on: i64,
    pub pitch: u8,
    pub channel: u8,
    pub off: i64,
}

impl Note {
    pub fn length(&self) -> i64 {
        self.off - self.on
    }
}

impl Capture {
    /// Every note with both its note-on and note-off, in onset order (then pitch).
    pub fn notes(&self) -> Vec<Note> {
        let mut open: BTreeMap<(u8, u8), i64> = BTreeMap::new();
        let mut notes = Vec::new();
        for e in &self.events {
            let key = (e.channel, e.pitch);
            if e.on {
                open.insert(key, e.time);
            } else if let Some(on) = open.remove(&key) {
                notes.push(Note {
                    on,
                    pitch: e.pitch,
                    channel: e.channel,
                    off: e.time,
                });
            }
        }
        notes.sort();
        notes
    }
}

/// Checks that `got` plays the notes of `want`: the same pitches in the same order, onsets
/// and lengths within `tolerance` (in the notes' time unit).
pub fn assert_same_notes(want: &[Note], got: &[Note], tolerance: i64, what: &str) {
    let differs = |w: &Note, g: &Note| {
        w.pitch != g.pitch
            || (w.on - g.on).abs() > tolerance
            || (w.length() - g.length()).abs() > tolerance
    };
    let first = want.iter().zip(got).position(|(w, g)| differs(w, g));
    assert!(
        want.len() == got.len() && first.is_none(),
        "{what}: {} notes expected, {} played; first difference at note {first:?}: expected \
         {:?}, got {:?}",
        want.len(),
        got.len(),
        first.map(|i| want[i]),
        first.map(|i| got[i]),
    );
}

/// Checks that every onset lies within `tolerance` samples of a grid point counted from the
/// first onset, the grid step being `step` samples. Returns the offending onsets.
pub fn off_grid(onsets: &[i64], step: f64, tolerance: f64) -> Vec<(i64, f64)> {
    let Some(&first) = onsets.first() else {
        return Vec::new();
    };
    onsets
        .iter()
        .filter_map(|&t| {
            let d = (t - first) as f64;
            let error = d - (d / step).round() * step;
            (error.abs() > tolerance).then_some((t, error))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(offset: u32, pitch: u8, on: bool) -> BufferEvent {
        BufferEvent {
            offset,
            pitch,
            channel: 0,
            velocity: 0.5,
            on,
        }
    }

    #[test]
    fn pairs_and_order_are_checked() {
        let mut c = Capture::default();
        c.add_buffer(0, 10, &[ev(0, 60, true), ev(5, 62, true)]);
        assert_eq!(c.sounding(), 2);
        c.add_buffer(10, 10, &[ev(3, 60, false), ev(2, 62, false)]);
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        c.add_buffer(20, 10, &[ev(10, 64, true), ev(0, 61, false)]);
        assert_eq!(c.problems.len(), 4, "{:?}", c.problems);
        assert_eq!(c.events[2].time, 13);
    }

    #[test]
    fn grid_check_counts_from_the_first_onset() {
        assert!(off_grid(&[100, 1100, 3101, 4099], 1000.0, 1.0).is_empty());
        assert_eq!(off_grid(&[100, 1103], 1000.0, 1.0), vec![(1103, 3.0)]);
    }

    #[test]
    fn entropy_of_uniform_pitches() {
        let mut c = Capture::default();
        c.add_buffer(
            0,
            100,
            &[
                ev(0, 60, true),
                ev(1, 62, true),
                ev(2, 64, true),
                ev(3, 65, true),
            ],
        );
        assert!((c.pitch_entropy() - 2.0).abs() < 1e-12);
    }
}
