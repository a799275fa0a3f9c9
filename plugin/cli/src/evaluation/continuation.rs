//! `deepmidi eval --continuation BARS`: how much listening buys.
//!
//! A model that hears a primer should carry it on: in its key, with its melodic steps, with
//! its rhythm in the bar. So each piece's first BARS bars are fed and BARS bars generated,
//! and these are held against the piece's own next BARS bars; so is a continuation drawn
//! with the same seed in the same meter without the primer, which knows the corpus but not
//! the piece. The overlaps are taken piece by piece and then averaged, not pooled over the
//! corpus: pooled, music in the wrong key for its piece would still match the corpus's mix
//! of keys, and putting it in the right one is what listening is for.

use super::overlap::{overlaps, OnsetSeries, PlayedOnset, SeriesOnset};
use super::report::evaluated_subset;
use crate::corpus::{Corpus, Meter, Piece, Split};
use crate::generate::{generate, GenerateOptions, Performance};
use crate::model::ModelSet;
use crate::realtime::EngineParams;
use anyhow::Result;
use serde::Serialize;

/// How one continuation's histograms overlap the real continuation's (1 = the same).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct ContinuationOverlaps {
    pub pitch_class: f64,
    /// Between the top notes of consecutive onsets.
    pub pitch_interval: f64,
    pub onset_in_bar: f64,
}

impl ContinuationOverlaps {
    fn to_array(self) -> [f64; 3] {
        [self.pitch_class, self.pitch_interval, self.onset_in_bar]
    }

    fn from_array([pitch_class, pitch_interval, onset_in_bar]: [f64; 3]) -> Self {
        ContinuationOverlaps {
            pitch_class,
            pitch_interval,
            onset_in_bar,
        }
    }
}

/// A mean over pieces and its standard error (`None` for a single piece).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    pub mean: f64,
    pub stderr: Option<f64>,
}

impl Estimate {
    fn of(xs: &[f64]) -> Estimate {
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        Estimate {
            mean,
            stderr: (xs.len() > 1).then(|| (var / n).sqrt()),
        }
    }

    fn text(&self, signed: bool) -> String {
        let mean = if signed {
            format!("{:+.3}", self.mean)
        } else {
            format!("{:.3}", self.mean)
        };
        match self.stderr {
            Some(se) => format!("{mean} ± {se:.3}"),
            None => mean,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figures {
    pub pitch_class: Estimate,
    pub pitch_interval: Estimate,
    pub onset_in_bar: Estimate,
}

impl Figures {
    fn rows(&self) -> [(&'static str, Estimate); 3] {
        [
            ("pitch class", self.pitch_class),
            ("pitch interval", self.pitch_interval),
            ("onset in bar", self.onset_in_bar),
        ]
    }

    fn over(per_piece: impl Iterator<Item = ContinuationOverlaps>) -> Figures {
        let rows: Vec<[f64; 3]> = per_piece.map(ContinuationOverlaps::to_array).collect();
        let column = |k: usize| Estimate::of(&rows.iter().map(|r| r[k]).collect::<Vec<_>>());
        Figures {
            pitch_class: column(0),
            pitch_interval: column(1),
            onset_in_bar: column(2),
        }
    }
}

/// One piece's overlaps, each the mean over the generation seeds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PieceContinuation {
    /// Relative to the corpus folder.
    pub file: String,
    /// The meter at the cut, which the continuations were generated in.
    pub meter: Meter,
    pub primed: ContinuationOverlaps,
    pub unprimed: ContinuationOverlaps,
}

#[derive(Debug, Clone, Serialize)]
pub struct ContinuationReport {
    pub model: String,
    pub corpus: String,
    /// "validation" with a split file, else "all".
    pub subset: String,
    /// Bars fed, and bars generated and compared.
    pub bars: u32,
    /// Continuations generated per piece with and without the primer, on consecutive seeds
    /// from `first_seed` (piece after piece).
    pub seeds_per_piece: u32,
    pub first_seed: u64,
    /// Pieces compared, and pieces left out: those of no more than twice `bars` bars, and
    /// those with fewer than two onsets in the bars after the primer.
    pub pieces: usize,
    pub skipped: usize,
    pub primed: Figures,
    pub unprimed: Figures,
    /// Primed minus unprimed, piece by piece: what the primer buys.
    pub gain: Figures,
    pub by_piece: Vec<PieceContinuation>,
}

/// The tick where bar `n` (from 0) of a piece starts. Bars run on from each meter change,
/// and a change mid-bar starts a new bar, as the piece's bar positions are counted.
fn bar_line(piece: &Piece, n: u32) -> u64 {
    let tpq = f64::from(piece.ticks_per_quarter);
    let changes = piece.meters.changes();
    let mut left = f64::from(n);
    for (i, c) in changes.iter().enumerate() {
        let bar = c.meter.bar_quarters() * tpq;
        let bars_here = changes.get(i + 1).map_or(f64::INFINITY, |next| {
            ((next.tick - c.tick) as f64 / bar).ceil()
        });
        if left < bars_here {
            return (c.tick as f64 + left * bar).round() as u64;
        }
        left -= bars_here;
    }
    unreachable!("the last meter holds to the end of time")
}

/// The onsets of `piece` from tick `from` up to `to`, the piece ending at `to`: as a primer,
/// its last gap runs to the bar line where the continuation starts.
fn excerpt(piece: &Piece, from: u64, to: u64) -> Piece {
    Piece {
        ticks_per_quarter: piece.ticks_per_quarter,
        onsets: piece
            .onsets
            .iter()
            .filter(|o| (from..to).contains(&o.tick))
            .cloned()
            .collect(),
        end_tick: to,
        meters: piece.meters.clone(),
    }
}

/// Continues each evaluated piece (the split's validation files, or every file) after its
/// first `bars` bars, `seeds` times with the primer and as often without, at the engine's
/// default temperatures.
pub fn continuation(
    model: &ModelSet,
    corpus: &Corpus,
    split: Option<&Split>,
    bars: u32,
    seeds: u32,
    first_seed: u64,
) -> Result<ContinuationReport> {
    anyhow::ensure!(
        (1..=1000).contains(&bars),
        "continuation bars must be 1 to 1000"
    );
    anyhow::ensure!(seeds >= 1, "at least one seed is needed");
    let (indices, subset) = evaluated_subset(corpus, split)?;
    let grid = model.meta.grid;
    let mut by_piece = Vec::new();
    for (j, &i) in indices.iter().enumerate() {
        let (source, piece) = &corpus.pieces[i];
        let (cut, end) = (bar_line(piece, bars), bar_line(piece, 2 * bars));
        let real = excerpt(piece, cut, end);
        if end >= piece.end_tick || real.onsets.len() < 2 {
            continue;
        }
        let real = OnsetSeries {
            phrases: vec![SeriesOnset::of_piece(&real, &grid)],
        };
        let compare = |perf: &Performance| {
            let onsets = PlayedOnset::of_performance(perf, &grid);
            let generated = OnsetSeries {
                phrases: vec![onsets.iter().map(PlayedOnset::as_series).collect()],
            };
            let o = overlaps(&generated, &real, u64::from(grid.max_steps));
            [o.pitch_class, o.pitch_interval, o.onset_in_bar]
        };
        let primer = excerpt(piece, 0, cut);
        let meter = piece.meters.at(cut).meter;
        let mut sums = [[0.0; 3]; 2];
        for k in 0..u64::from(seeds) {
            let opts = GenerateOptions {
                notes: usize::MAX,
                seed: first_seed.wrapping_add(j as u64 * u64::from(seeds) + k),
                meter,
                engine: EngineParams::default(),
                bars: Some(bars),
                ..Default::default()
            };
            for (sum, primer) in sums.iter_mut().zip([Some(&primer), None]) {
                let o = compare(&generate(model, &opts, primer)?);
                sum.iter_mut().zip(o).for_each(|(s, x)| *s += x);
            }
        }
        let mean =
            |sum: [f64; 3]| ContinuationOverlaps::from_array(sum.map(|s| s / f64::from(seeds)));
        by_piece.push(PieceContinuation {
            file: source.relative.display().to_string(),
            meter,
            primed: mean(sums[0]),
            unprimed: mean(sums[1]),
        });
    }
    anyhow::ensure!(
        !by_piece.is_empty(),
        "no piece of {} has more than {} bars with notes after the first {bars}",
        corpus.name,
        2 * bars
    );
    let gains = by_piece.iter().map(|p| {
        let (a, b) = (p.primed.to_array(), p.unprimed.to_array());
        ContinuationOverlaps::from_array([0, 1, 2].map(|k| a[k] - b[k]))
    });
    Ok(ContinuationReport {
        model: model.meta.name.clone(),
        corpus: corpus.name.clone(),
        subset: subset.into(),
        bars,
        seeds_per_piece: seeds,
        first_seed,
        pieces: by_piece.len(),
        skipped: indices.len() - by_piece.len(),
        primed: Figures::over(by_piece.iter().map(|p| p.primed)),
        unprimed: Figures::over(by_piece.iter().map(|p| p.unprimed)),
        gain: Figures::over(gains),
        by_piece,
    })
}

impl ContinuationReport {
    /// A plain-text table for the terminal: mean ± standard error over pieces.
    pub fn table(&self) -> String {
        let mut t = format!(
            "model {} on {} [{}]: {} pieces ({} skipped), {} seeds a piece\n\
             overlap of {bars} generated bars after the first {bars} with the piece's next {bars} \
             (mean ± standard error over pieces):\n\n",
            self.model,
            self.corpus,
            self.subset,
            self.pieces,
            self.skipped,
            self.seeds_per_piece,
            bars = self.bars,
        );
        t += &format!(
            "{:<16} {:>16} {:>16} {:>16}\n",
            "", "primed", "unprimed", "gain"
        );
        let (primed, unprimed, gain) = (self.primed.rows(), self.unprimed.rows(), self.gain.rows());
        for k in 0..3 {
            t += &format!(
                "{:<16} {:>16} {:>16} {:>16}\n",
                primed[k].0,
                primed[k].1.text(false),
                unprimed[k].1.text(false),
                gain[k].1.text(true)
            );
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{MeterMap, Onset};

    #[test]
    fn bar_lines_follow_meter_changes() {
        let m = |s: &str| s.parse::<Meter>().unwrap();
        // 480 ticks a quarter: 4/4 bars of 1920 ticks; at 4800, mid-bar, 6/8 bars of 1440.
        let piece = Piece {
            ticks_per_quarter: 480,
            onsets: vec![],
            end_tick: 20_000,
            meters: MeterMap::from_events([(4800, m("6/8"))]),
        };
        let lines: Vec<u64> = (0..6).map(|n| bar_line(&piece, n)).collect();
        assert_eq!(lines, vec![0, 1920, 3840, 4800, 6240, 7680]);
        assert_eq!(
            bar_line(
                &Piece {
                    meters: MeterMap::default(),
                    ..piece
                },
                3
            ),
            5760
        );
    }

    #[test]
    fn an_excerpt_keeps_its_onsets_and_ends_at_the_cut() {
        let piece = Piece {
            ticks_per_quarter: 480,
            onsets: [0, 960, 1920, 2400]
                .map(|tick| Onset {
                    tick,
                    pitches: vec![60],
                })
                .to_vec(),
            end_tick: 2880,
            meters: MeterMap::default(),
        };
        let e = excerpt(&piece, 960, 2400);
        let ticks: Vec<u64> = e.onsets.iter().map(|o| o.tick).collect();
        assert_eq!((ticks, e.end_tick), (vec![960, 1920], 2400));
    }

    #[test]
    fn estimates_have_a_standard_error_from_two_pieces() {
        let e = Estimate::of(&[0.2, 0.4]);
        assert!((e.mean - 0.3).abs() < 1e-12);
        assert!((e.stderr.unwrap() - 0.1).abs() < 1e-12);
        assert_eq!(Estimate::of(&[0.5]).stderr, None);
    }
}
