//! What the plugin played, kept for its lookbacks: the steps of the last bars in a ring
//! allocated once, so the audio thread finds what it played 1 to 8 bars ago without
//! allocating.

use super::lookback::{look_back, PlayedSteps, StepClock, StepTime};
use super::{Distances, Looked, MAX_LOOKBACK_BARS};
use crate::corpus::MAX_CHORD_NOTES;

/// The longest bar the history is sized for, in grid steps at 24 a quarter: 8 quarters, the
/// longest gap the grid has (two 4/4 bars; 12/8 and 3/2 bars are 6). Longer bars still
/// work while their steps fit; past that, the oldest steps are forgotten first.
pub const LONGEST_BAR_STEPS: usize = 8 * 24;

/// Steps the ring holds: [`MAX_LOOKBACK_BARS`] of the longest bar at the densest the grid
/// allows (an onset every step, each a chord of [`MAX_CHORD_NOTES`] in split mode), and the
/// step looking back.
pub const HISTORY_STEPS: usize =
    MAX_LOOKBACK_BARS as usize * LONGEST_BAR_STEPS * MAX_CHORD_NOTES + 1;

/// One step played: when, and its note and offset tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlayedStep {
    pub time: StepTime,
    pub note: u32,
    pub offset: u32,
}

/// The steps played, oldest first, in a ring of [`HISTORY_STEPS`].
pub struct History {
    ring: Box<[PlayedStep]>,
    /// The ring index of the oldest step kept.
    oldest: usize,
    len: usize,
    clock: StepClock,
}

/// Where a [`History`] stood, to step back to ([`History::rewind`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryMark {
    len: usize,
    clock: StepClock,
}

impl History {
    /// Allocates the ring: build off the audio thread.
    pub fn new() -> History {
        History {
            ring: vec![PlayedStep::default(); HISTORY_STEPS].into_boxed_slice(),
            oldest: 0,
            len: 0,
            clock: StepClock::default(),
        }
    }

    /// Forgets every step: a new stream.
    pub fn clear(&mut self) {
        self.oldest = 0;
        self.len = 0;
        self.clock = StepClock::default();
    }

    /// The time of the next step.
    pub fn now(&self) -> StepTime {
        self.clock.now()
    }

    /// A step was played: `note` and `offset` tokens, `gap` grid steps before the next.
    /// When the ring is full the oldest step goes.
    pub fn push(&mut self, note: u32, offset: u32, gap: u32) {
        let step = PlayedStep {
            time: self.clock.now(),
            note,
            offset,
        };
        self.clock.advance(gap);
        let capacity = self.ring.len();
        if self.len == capacity {
            self.ring[self.oldest] = step;
            self.oldest = (self.oldest + 1) % capacity;
        } else {
            self.ring[(self.oldest + self.len) % capacity] = step;
            self.len += 1;
        }
    }

    /// Step `i`, the oldest kept being 0.
    pub fn get(&self, i: usize) -> PlayedStep {
        self.ring[(self.oldest + i) % self.ring.len()]
    }

    /// Where the history stands now.
    pub fn mark(&self) -> HistoryMark {
        HistoryMark {
            len: self.len,
            clock: self.clock,
        }
    }

    /// Forgets the steps pushed since `mark` (an event drawn again). A mark older than the
    /// ring's last turn cannot bring back what was overwritten; an event's few steps are far
    /// fewer than the ring holds.
    pub fn rewind(&mut self, mark: HistoryMark) {
        self.len = self.len.min(mark.len);
        self.clock = mark.clock;
    }

    /// What the next step looks back to, each distance `bars` bars of `bar_steps` back; the
    /// steps as indices for [`History::get`].
    pub fn look_back(&self, bar_steps: u32, distances: &Distances) -> Looked {
        let now = self.clock.now();
        let mut looked = Looked::default();
        for (k, bars) in distances.iter().enumerate() {
            looked.steps[k] = look_back(self, now, u64::from(bars) * u64::from(bar_steps));
        }
        looked
    }
}

impl Default for History {
    fn default() -> Self {
        History::new()
    }
}

impl PlayedSteps for History {
    fn len(&self) -> usize {
        self.len
    }

    fn time(&self, i: usize) -> StepTime {
        self.get(i).time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::lookbacks;

    /// A made-up stream: rhythms and chord sizes that repeat at some bar distances.
    fn stream(steps: usize) -> (Vec<u32>, Vec<u32>, Vec<u32>) {
        let (mut notes, mut gaps, mut bars) = (Vec::new(), Vec::new(), Vec::new());
        let mut i = 0u32;
        while notes.len() < steps {
            let voices = 1 + (i * 5 % 3);
            let gap = [12, 24, 6, 18, 36][(i % 5) as usize];
            for v in 0..voices {
                notes.push(40 + (i * 7 + v * 3) % 30);
                gaps.push(if v + 1 == voices { gap } else { 0 });
                bars.push(if i < 40 { 96 } else { 72 });
            }
            i += 1;
        }
        (notes, gaps, bars)
    }

    #[test]
    fn the_history_finds_what_the_tokens_count_finds() {
        let (notes, gaps, bars) = stream(600);
        let distances = Distances::default();
        let expected = lookbacks(&gaps, &bars, &distances);
        let mut history = History::new();
        for i in 0..notes.len() {
            let looked = history.look_back(bars[i], &distances);
            // Indices are the same while nothing was forgotten.
            assert_eq!(looked, expected[i], "step {i}");
            history.push(notes[i], gaps[i], gaps[i]);
        }
        assert!(expected.iter().filter(|l| l.steps[3].is_some()).count() > 10);
    }

    #[test]
    fn a_rewind_forgets_an_events_steps_and_a_full_ring_its_oldest() {
        let mut history = History::new();
        history.push(5, 12, 12);
        let mark = history.mark();
        history.push(6, 0, 0);
        history.push(7, 24, 24);
        history.rewind(mark);
        assert_eq!(
            (history.len, history.now()),
            (1, StepTime { at: 12, voice: 0 })
        );
        history.push(8, 12, 12);
        assert_eq!(history.get(1).note, 8);
        for k in 0..HISTORY_STEPS as u32 {
            history.push(k, 1, 1);
        }
        assert_eq!(history.len, HISTORY_STEPS);
        assert_eq!(history.get(0).note, 0);
        // The newest step, 1 grid step ago, is found; what was overwritten is not.
        let now = history.now();
        assert_eq!(look_back(&history, now, 1), Some(HISTORY_STEPS - 1));
        assert_eq!(look_back(&history, now, HISTORY_STEPS as u64 + 5), None);
    }
}
