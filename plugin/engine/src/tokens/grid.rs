//! The time grid for offsets.
//!
//! 24 steps per quarter note holds sixteenths (6), thirty-seconds (3), eighth triplets (8)
//! and sixteenth triplets (4) exactly. Gaps are capped at 8 quarters (two 4/4 bars): a longer
//! rest is rare, and the model should not waste capacity on it.

use crate::corpus::{BarPosition, Meter};
use serde::{Deserialize, Serialize};

/// Where an onset falls in its bar, on the grid: the models' view of the meter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MetricPosition {
    /// Steps since the bar's start, below `bar_steps`.
    pub step_in_bar: u32,
    /// The bar's length in steps (4/4: 96, 6/8 and 3/4: 72).
    pub bar_steps: u32,
    /// The counted beat's length in steps (4/4 and 3/4: 24, 6/8: 36), at least 1.
    pub beat_steps: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OffsetGrid {
    pub steps_per_quarter: u32,
    /// The longest gap, in steps; longer gaps are clamped to it.
    pub max_steps: u32,
}

impl Default for OffsetGrid {
    fn default() -> Self {
        OffsetGrid {
            steps_per_quarter: 24,
            max_steps: 24 * 8,
        }
    }
}

impl OffsetGrid {
    /// A position in quarter notes → the nearest grid step. Positions, not gaps, are
    /// quantized, so rounding errors do not add up along a piece.
    pub fn step_of(&self, quarters: f64) -> u64 {
        (quarters * f64::from(self.steps_per_quarter))
            .round()
            .max(0.0) as u64
    }

    /// The gap between two quantized positions, clamped to the cap.
    pub fn gap(&self, from_step: u64, to_step: u64) -> u32 {
        to_step
            .saturating_sub(from_step)
            .min(u64::from(self.max_steps)) as u32
    }

    /// A position in a bar → the nearest grid step in it. An onset that rounds up to the
    /// bar's end is on the next downbeat.
    pub fn metric_position(&self, p: BarPosition) -> MetricPosition {
        self.position_in_bar(p.quarters_into_bar, p.meter)
    }

    /// `quarters_into_bar` (any real number: it is taken modulo the bar) of a bar of
    /// `meter` → the nearest grid step in it. The one home of that rounding: the corpus
    /// reader and the plugin's transport both come here.
    pub fn position_in_bar(&self, quarters_into_bar: f64, meter: Meter) -> MetricPosition {
        let bar_steps = (self.step_of(meter.bar_quarters()) as u32).max(1);
        let quarters = quarters_into_bar.rem_euclid(meter.bar_quarters());
        MetricPosition {
            step_in_bar: (self.step_of(quarters) % u64::from(bar_steps)) as u32,
            bar_steps,
            beat_steps: (self.step_of(meter.beat_quarters()) as u32).max(1),
        }
    }

    /// The position `steps` later than `p`, in a bar of the same meter.
    pub fn advance(p: MetricPosition, steps: u32) -> MetricPosition {
        MetricPosition {
            step_in_bar: ((u64::from(p.step_in_bar) + u64::from(steps))
                % u64::from(p.bar_steps.max(1))) as u32,
            ..p
        }
    }

    pub fn quarters(&self, steps: u32) -> f64 {
        f64::from(steps) / f64::from(self.steps_per_quarter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteenths_and_triplets_round_trip() {
        let g = OffsetGrid::default();
        for (q, steps) in [
            (0.25, 6),
            (1.0 / 3.0, 8),
            (1.0 / 6.0, 4),
            (0.125, 3),
            (1.5, 36),
            (0.0, 0),
        ] {
            assert_eq!(g.step_of(q), steps, "{q}");
            assert!((g.quarters(steps as u32) - q).abs() < 1e-12);
        }
        // Ticks of a 480-tpq file: a triplet eighth is 160 ticks.
        assert_eq!(g.step_of(160.0 / 480.0), 8);
    }

    #[test]
    fn positions_in_bars_wrap_and_know_their_beat() {
        let g = OffsetGrid::default();
        let six_eight: Meter = "6/8".parse().unwrap();
        let p = g.position_in_bar(2.5, six_eight);
        assert_eq!((p.step_in_bar, p.bar_steps, p.beat_steps), (60, 72, 36));
        // Before the bar (a pre-roll) and bars later land in the same bar position.
        assert_eq!(g.position_in_bar(2.5 - 3.0 * 5.0, six_eight), p);
        assert_eq!(g.position_in_bar(2.5 + 3.0 * 7.0, six_eight), p);
        // Rounding up to the bar's end is the next downbeat.
        assert_eq!(g.position_in_bar(2.9999, six_eight).step_in_bar, 0);
        assert_eq!(OffsetGrid::advance(p, 12).step_in_bar, 0);
        assert_eq!(OffsetGrid::advance(p, 12 + 72 * 3 + 5).step_in_bar, 5);
    }

    #[test]
    fn gaps_are_capped_and_never_negative() {
        let g = OffsetGrid::default();
        assert_eq!(g.gap(10, 40), 30);
        assert_eq!(g.gap(0, 10_000), g.max_steps);
        assert_eq!(g.gap(40, 10), 0);
        // Positions rounded first: three triplet eighths add up to exactly one quarter.
        let pos: Vec<u64> = (0..4).map(|i| g.step_of(f64::from(i) / 3.0)).collect();
        assert_eq!(g.gap(pos[0], pos[3]), 24);
    }
}
