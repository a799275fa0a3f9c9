//! Comparing generated music with a corpus by the overlapping area of feature histograms,
//! after Yang & Lerch 2018, "On the evaluation of generative models in music". Each
//! histogram is normalised to sum 1, so the overlap Σ min(p, q) is 1 for identical
//! distributions and 0 for disjoint ones.

use crate::corpus::Piece;
use crate::generate::Performance;
use crate::tokens::{MetricPosition, OffsetGrid};
use serde::Serialize;

/// One onset: its grid step from the start, its place in the bar, its pitches (sorted).
#[derive(Debug, Clone, Copy)]
pub struct SeriesOnset<'a> {
    pub step: u64,
    pub position: MetricPosition,
    pub pitches: &'a [u8],
}

impl<'a> SeriesOnset<'a> {
    /// A piece's onsets on the grid, each placed in the piece's own bars.
    pub fn of_piece(piece: &'a Piece, grid: &OffsetGrid) -> Vec<SeriesOnset<'a>> {
        piece
            .onsets
            .iter()
            .map(|o| SeriesOnset {
                step: grid.step_of(piece.quarters(o.tick)),
                position: grid
                    .metric_position(piece.meters.position(o.tick, piece.ticks_per_quarter)),
                pitches: o.pitches.as_slice(),
            })
            .collect()
    }
}

/// A generated onset. A performance holds notes, not onsets, so the onset owns the pitches
/// a [`SeriesOnset`] borrows.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayedOnset {
    pub step: u64,
    pub position: MetricPosition,
    /// Sorted.
    pub pitches: Vec<u8>,
}

impl PlayedOnset {
    /// A performance's notes grouped into onsets (the notes that start on one grid step),
    /// placed in bars of its meter from beat 0, where the generator heard them.
    pub fn of_performance(perf: &Performance, grid: &OffsetGrid) -> Vec<PlayedOnset> {
        let mut onsets: Vec<PlayedOnset> = Vec::new();
        for n in &perf.notes {
            let step = grid.step_of(n.start_beats);
            match onsets.last_mut() {
                Some(o) if o.step == step => o.pitches.push(n.pitch),
                _ => onsets.push(PlayedOnset {
                    step,
                    position: grid.position_in_bar(n.start_beats, perf.meter),
                    pitches: vec![n.pitch],
                }),
            }
        }
        for o in &mut onsets {
            o.pitches.sort_unstable();
        }
        onsets
    }

    pub fn as_series(&self) -> SeriesOnset<'_> {
        SeriesOnset {
            step: self.step,
            position: self.position,
            pitches: &self.pitches,
        }
    }
}

/// A set of onsets to describe, in time order, split into phrases (pieces, or equal chunks
/// of a generated stream) for the per-phrase features.
pub struct OnsetSeries<'a> {
    pub phrases: Vec<Vec<SeriesOnset<'a>>>,
}

impl OnsetSeries<'_> {
    /// The share of onsets on a counted beat (a quarter in 4/4, a dotted quarter in 6/8)
    /// and on a downbeat; `None` without onsets.
    pub fn metric_shares(&self) -> Option<(f64, f64)> {
        let onsets: Vec<_> = self.phrases.iter().flatten().map(|o| o.position).collect();
        let share = |f: &dyn Fn(&crate::tokens::MetricPosition) -> bool| {
            onsets.iter().filter(|p| f(p)).count() as f64 / onsets.len() as f64
        };
        (!onsets.is_empty()).then(|| {
            (
                share(&|p| p.step_in_bar % p.beat_steps.max(1) == 0),
                share(&|p| p.step_in_bar == 0),
            )
        })
    }
}

/// Bins of the onset-in-bar histogram: one per grid step, up to a 16-quarter bar.
const BAR_BINS: usize = 16 * 24;
/// Melodic intervals beyond two octaves share the outermost bins.
const MAX_INTERVAL: i16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Overlaps {
    /// Pitch-class histogram (12 bins over all notes).
    pub pitch_class: f64,
    /// Inter-onset intervals in grid steps (one bin per step, up to the grid's cap).
    pub inter_onset_interval: f64,
    /// Pitch range (highest − lowest MIDI pitch) of each phrase, in bins of 3 semitones.
    pub pitch_range: f64,
    /// Where onsets fall in the bar, one bin per grid step.
    pub onset_in_bar: f64,
    /// The interval from each onset's highest note to the next one's, in semitones (±24).
    pub pitch_interval: f64,
    /// How many notes start together.
    pub notes_per_onset: f64,
}

fn normalised(mut h: Vec<f64>) -> Vec<f64> {
    let total: f64 = h.iter().sum();
    if total > 0.0 {
        h.iter_mut().for_each(|x| *x /= total);
    }
    h
}

fn overlap(p: &[f64], q: &[f64]) -> f64 {
    p.iter().zip(q).map(|(a, b)| a.min(*b)).sum()
}

fn features(s: &OnsetSeries, max_steps: u64) -> [Vec<f64>; 6] {
    let mut pc = vec![0.0; 12];
    let mut ioi = vec![0.0; max_steps as usize + 1];
    let mut range = vec![0.0; 128 / 3 + 1];
    let mut in_bar = vec![0.0; BAR_BINS];
    let mut interval = vec![0.0; 2 * MAX_INTERVAL as usize + 1];
    let mut per_onset = vec![0.0; crate::corpus::MAX_CHORD_NOTES + 1];
    for phrase in &s.phrases {
        for w in phrase.windows(2) {
            ioi[(w[1].step - w[0].step).min(max_steps) as usize] += 1.0;
            if let (Some(&a), Some(&b)) = (w[0].pitches.last(), w[1].pitches.last()) {
                let i = (i16::from(b) - i16::from(a)).clamp(-MAX_INTERVAL, MAX_INTERVAL);
                interval[(i + MAX_INTERVAL) as usize] += 1.0;
            }
        }
        let (mut lo, mut hi) = (u8::MAX, 0u8);
        for onset in phrase {
            in_bar[(onset.position.step_in_bar as usize).min(BAR_BINS - 1)] += 1.0;
            per_onset[onset.pitches.len().min(crate::corpus::MAX_CHORD_NOTES)] += 1.0;
            for &p in onset.pitches {
                pc[usize::from(p % 12)] += 1.0;
                lo = lo.min(p);
                hi = hi.max(p);
            }
        }
        if hi >= lo {
            range[usize::from(hi - lo) / 3] += 1.0;
        }
    }
    [pc, ioi, range, in_bar, interval, per_onset].map(normalised)
}

pub fn overlaps(generated: &OnsetSeries, corpus: &OnsetSeries, max_steps: u64) -> Overlaps {
    let a = features(generated, max_steps);
    let b = features(corpus, max_steps);
    let o = |i: usize| overlap(&a[i], &b[i]);
    Overlaps {
        pitch_class: o(0),
        inter_onset_interval: o(1),
        pitch_range: o(2),
        onset_in_bar: o(3),
        pitch_interval: o(4),
        notes_per_onset: o(5),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_shares_count_beats_and_downbeats() {
        static C: [u8; 1] = [60];
        let at = |step_in_bar: u32, bar_steps: u32, beat_steps: u32| SeriesOnset {
            step: 0,
            position: MetricPosition {
                step_in_bar,
                bar_steps,
                beat_steps,
            },
            pitches: &C,
        };
        // 4/4: a downbeat, a beat, an off-beat; 6/8: a downbeat, its second beat, an eighth.
        let series = OnsetSeries {
            phrases: vec![
                vec![at(0, 96, 24), at(24, 96, 24), at(12, 96, 24)],
                vec![at(0, 72, 36), at(36, 72, 36), at(24, 72, 36)],
            ],
        };
        assert_eq!(series.metric_shares(), Some((4.0 / 6.0, 2.0 / 6.0)));
        assert_eq!(OnsetSeries { phrases: vec![] }.metric_shares(), None);
    }

    #[test]
    fn identical_is_one_disjoint_is_zero() {
        static C: [u8; 1] = [60];
        static D: [u8; 2] = [61, 65];
        let onset = |step: u64, pitches: &'static [u8]| SeriesOnset {
            step,
            position: MetricPosition {
                step_in_bar: (step % 96) as u32,
                bar_steps: 96,
                beat_steps: 24,
            },
            pitches,
        };
        let (c, d): (&[u8], &[u8]) = (&C, &D);
        let a = OnsetSeries {
            phrases: vec![vec![onset(0, c), onset(6, c), onset(12, c)]],
        };
        let b = OnsetSeries {
            phrases: vec![vec![onset(1, d), onset(9, d), onset(17, d)]],
        };
        let same = overlaps(&a, &a, 192);
        for o in [
            same.pitch_class,
            same.inter_onset_interval,
            same.pitch_range,
            same.onset_in_bar,
            same.pitch_interval,
            same.notes_per_onset,
        ] {
            assert!((o - 1.0).abs() < 1e-12, "{same:?}");
        }
        let diff = overlaps(&a, &b, 192);
        assert_eq!(diff.pitch_class, 0.0);
        assert_eq!(diff.inter_onset_interval, 0.0);
        assert_eq!(diff.onset_in_bar, 0.0); // steps 0, 6, 12 against 1, 9, 17
        assert_eq!(diff.notes_per_onset, 0.0); // single notes against pairs
        assert!((diff.pitch_interval - 1.0).abs() < 1e-12); // repeated top notes in both
        assert!((diff.pitch_range - 0.0).abs() < 1e-12); // 0 against 4 semitones
    }
}
