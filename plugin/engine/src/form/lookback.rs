//! Where each step looks back to: the step played at the same place in the bar 1, 2, 4 and 8
//! bars earlier, voice for voice.
//!
//! A step's time is the sum of the gaps before it, in grid steps, as the networks heard them
//! (the offset tokens). That is the engine's own beat count in the plugin (it places each
//! onset the gap after the one before, whatever the song position does: a locate or a loop
//! moves neither the history nor its times) and the tokens' count in training, so both find
//! the same step. Within one meter a bar later is `bar_steps` later, so the step looked back
//! to is at the same place in its bar; across a meter change it is the step that many grid
//! steps before, the bar length taken from the step looking back.
//!
//! In split mode a chord's notes are steps at one time, lowest first; voice `v` of a chord
//! looks back to voice `v` of the chord `k` bars before, and finds nothing when that chord
//! has fewer voices.

use super::Distances;

/// When a step was played: its time in grid steps since the stream began, and its voice (its
/// place in its chord, lowest first; 0 in chord mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct StepTime {
    pub at: u64,
    pub voice: u8,
}

/// Counts the steps' times from their gaps: a gap of 0 (the notes of one chord in split
/// mode) keeps the time and moves to the next voice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StepClock {
    next: StepTime,
}

impl StepClock {
    /// The time of the next step, before it is played.
    pub fn now(&self) -> StepTime {
        self.next
    }

    /// A step was played, `gap` grid steps before the next.
    pub fn advance(&mut self, gap: u32) {
        self.next = if gap == 0 {
            StepTime {
                at: self.next.at,
                voice: self.next.voice.saturating_add(1),
            }
        } else {
            StepTime {
                at: self.next.at + u64::from(gap),
                voice: 0,
            }
        };
    }
}

/// Steps played so far, oldest first, in time order: what a lookback searches.
pub trait PlayedSteps {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The time of step `i`, `i < len()`.
    fn time(&self, i: usize) -> StepTime;
}

impl PlayedSteps for [StepTime] {
    fn len(&self) -> usize {
        <[StepTime]>::len(self)
    }

    fn time(&self, i: usize) -> StepTime {
        self[i]
    }
}

/// The index of the step `back` grid steps before `now`, in the same voice; `None` when
/// nothing was played there (or it is before the first step kept).
pub fn look_back(steps: &(impl PlayedSteps + ?Sized), now: StepTime, back: u64) -> Option<usize> {
    let at = now.at.checked_sub(back)?;
    let target = StepTime {
        at,
        voice: now.voice,
    };
    // Times rise, and voices rise within a time: a binary search.
    let (mut lo, mut hi) = (0, steps.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if steps.time(mid) < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    (lo < steps.len() && steps.time(lo) == target).then_some(lo)
}

/// For every step of a token stream, the index of the step each distance looks back to:
/// `gaps[i]` is step `i`'s gap in grid steps (0 between a chord's notes in split mode) and
/// `bar_steps[i]` the length of its bar. What training and evaluation read; the plugin finds
/// the same steps in its history ([`super::History`]).
pub fn lookbacks(gaps: &[u32], bar_steps: &[u32], distances: &Distances) -> Vec<Looked> {
    let mut clock = StepClock::default();
    let times: Vec<StepTime> = gaps
        .iter()
        .map(|&gap| {
            let now = clock.now();
            clock.advance(gap);
            now
        })
        .collect();
    times
        .iter()
        .zip(bar_steps)
        .enumerate()
        .map(|(i, (&now, &bar))| {
            let mut looked = Looked::default();
            for (k, bars) in distances.iter().enumerate() {
                looked.steps[k] = look_back(&times[..i], now, u64::from(bars) * u64::from(bar));
            }
            looked
        })
        .collect()
}

/// The steps one step looks back to, one per distance (in the order of [`Distances`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Looked {
    pub steps: [Option<usize>; super::MAX_DISTANCES],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{Meter, MeterMap, Onset, Piece};
    use crate::tokens::{piece_streams, OffsetGrid, TokenMode};

    /// A piece of `bars` bars in `meter`, every onset placed by (bar, step in bar) with the
    /// pitches `chord(bar, step)` (none when empty), and the expected lookbacks counted from
    /// those coordinates alone: onset (b, s) voice v looks `k` bars back to onset (b - k, s)
    /// voice v.
    fn case(meter: &str, bars: u32, mode: TokenMode) -> (Vec<Looked>, Vec<Looked>) {
        let meter: Meter = meter.parse().unwrap();
        let grid = OffsetGrid::default();
        let bar_steps = (meter.bar_quarters() * 24.0) as u32;
        // Onsets on a varying rhythm: a bar's steps follow from its number, so some bars
        // repeat an earlier bar's places and others do not.
        let places = |bar: u32| -> Vec<u32> {
            let every = [12, 24, 8, 6][(bar % 4) as usize];
            (0..bar_steps).step_by(every).collect()
        };
        let chord = |bar: u32, step: u32| -> Vec<u8> {
            let voices = 1 + ((bar * 7 + step) % 3) as usize;
            (0..voices)
                .map(|v| 50 + (v * 7) as u8 + (step % 5) as u8)
                .collect()
        };
        // 480 ticks a quarter: 20 ticks a grid step.
        let mut onsets = Vec::new();
        let mut coords = Vec::new();
        for bar in 0..bars {
            for step in places(bar) {
                let pitches = chord(bar, step);
                coords.push((bar, step, pitches.len()));
                onsets.push(Onset {
                    tick: u64::from((bar * bar_steps + step) * 20),
                    pitches,
                });
            }
        }
        let piece = Piece {
            ticks_per_quarter: 480,
            onsets,
            end_tick: u64::from(bars * bar_steps * 20),
            meters: MeterMap::from_events([(0, meter)]),
        };
        let streams = piece_streams(&piece, &grid, mode);
        let bar_of: Vec<u32> = streams.positions.iter().map(|p| p.bar_steps).collect();
        let distances = Distances::default();
        let got = lookbacks(&streams.offsets, &bar_of, &distances);
        // The independent count: each step's (bar, step in bar, voice), and a search.
        let mut steps = Vec::new();
        for &(bar, step, voices) in &coords {
            match mode {
                TokenMode::Chord => steps.push((bar, step, 0)),
                TokenMode::Split => steps.extend((0..voices).map(|v| (bar, step, v))),
            }
        }
        assert_eq!(steps.len(), streams.notes.len());
        let expected = steps
            .iter()
            .map(|&(bar, step, voice)| {
                let mut looked = Looked::default();
                for (k, back) in distances.iter().enumerate() {
                    looked.steps[k] = bar
                        .checked_sub(u32::from(back))
                        .and_then(|b| steps.iter().position(|&s| s == (b, step, voice)));
                }
                looked
            })
            .collect();
        (got, expected)
    }

    #[test]
    fn lookbacks_match_a_count_of_bars_in_three_meters_and_both_modes() {
        for meter in ["4/4", "3/4", "6/8"] {
            for mode in [TokenMode::Chord, TokenMode::Split] {
                let (got, expected) = case(meter, 20, mode);
                assert_eq!(got, expected, "{meter} {mode}");
                // Not a vacuous match: every distance finds steps, and misses some.
                for k in 0..4 {
                    let found = got.iter().filter(|l| l.steps[k].is_some()).count();
                    assert!(
                        found > 10 && found < got.len(),
                        "{meter} {mode} {k}: {found}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_clock_keeps_a_chords_time_and_counts_its_voices() {
        let mut clock = StepClock::default();
        let mut times = Vec::new();
        for gap in [0, 0, 12, 24, 0, 6] {
            times.push(clock.now());
            clock.advance(gap);
        }
        let t = |at, voice| StepTime { at, voice };
        assert_eq!(
            times,
            [t(0, 0), t(0, 1), t(0, 2), t(12, 0), t(36, 0), t(36, 1)]
        );
        assert_eq!(look_back(&times[..], t(48, 1), 12), Some(5));
        assert_eq!(look_back(&times[..], t(48, 2), 12), None);
        assert_eq!(look_back(&times[..], t(5, 0), 12), None);
    }
}
