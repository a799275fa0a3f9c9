//! A piece → its note stream and offset stream, one token pair per step.

use super::grid::{MetricPosition, OffsetGrid};
use crate::corpus::Piece;
use serde::{Deserialize, Serialize};

/// How a chord becomes note tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenMode {
    /// One token per onset: the whole chord, voicing and octaves kept. Sparse on
    /// polyphonic music (thousands of distinct voicings).
    Chord,
    /// One token per note: a chord's notes lowest first, with offset 0 between them. A small
    /// vocabulary, at the price of more steps per onset.
    Split,
}

impl std::str::FromStr for TokenMode {
    type Err = UnknownMode;

    /// The names `model.json` stores: `chord`, `split`.
    fn from_str(s: &str) -> Result<TokenMode, UnknownMode> {
        match s {
            "chord" => Ok(TokenMode::Chord),
            "split" => Ok(TokenMode::Split),
            _ => Err(UnknownMode(s.to_owned())),
        }
    }
}

impl std::fmt::Display for TokenMode {
    /// The name `model.json` stores, as [`TokenMode::from_str`](std::str::FromStr) reads it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenMode::Chord => "chord",
            TokenMode::Split => "split",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token mode {0:?}: use chord or split")]
pub struct UnknownMode(pub String);

/// The raw tokens of one piece (before vocabulary lookup). `notes[i]` and `offsets[i]` belong
/// to the same step: the offset is the gap from that step's onset to the next step's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenStreams {
    pub notes: Vec<Vec<u8>>,
    pub offsets: Vec<u32>,
    /// Where each step's onset falls in its bar (a chord's notes in split mode share it).
    pub positions: Vec<MetricPosition>,
    /// Onsets covered, to report likelihoods per onset whatever the mode.
    pub onsets: usize,
}

/// Tokenizes a piece. The last onset's gap runs to the end of its longest note.
pub fn piece_streams(piece: &Piece, grid: &OffsetGrid, mode: TokenMode) -> TokenStreams {
    let steps: Vec<u64> = piece
        .onsets
        .iter()
        .map(|o| grid.step_of(piece.quarters(o.tick)))
        .collect();
    let end_step = grid.step_of(piece.quarters(piece.end_tick));
    let mut out = TokenStreams {
        onsets: piece.onsets.len(),
        ..Default::default()
    };
    for (i, onset) in piece.onsets.iter().enumerate() {
        let next = steps.get(i + 1).copied().unwrap_or(end_step);
        let gap = grid.gap(steps[i], next);
        let position =
            grid.metric_position(piece.meters.position(onset.tick, piece.ticks_per_quarter));
        match mode {
            TokenMode::Chord => {
                out.notes.push(onset.pitches.clone());
                out.offsets.push(gap);
                out.positions.push(position);
            }
            TokenMode::Split => {
                let last = onset.pitches.len() - 1;
                for (k, &p) in onset.pitches.iter().enumerate() {
                    out.notes.push(vec![p]);
                    out.offsets.push(if k == last { gap } else { 0 });
                    out.positions.push(position);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Onset;

    fn piece() -> Piece {
        Piece {
            ticks_per_quarter: 480,
            onsets: vec![
                Onset {
                    tick: 0,
                    pitches: vec![48, 64, 67],
                },
                Onset {
                    tick: 240,
                    pitches: vec![62],
                },
                Onset {
                    tick: 400,
                    pitches: vec![60, 64],
                },
            ],
            end_tick: 1360,
            meters: Default::default(),
        }
    }

    #[test]
    fn chord_mode_keeps_voicings() {
        let s = piece_streams(&piece(), &OffsetGrid::default(), TokenMode::Chord);
        assert_eq!(s.notes, vec![vec![48, 64, 67], vec![62], vec![60, 64]]);
        // 240 ticks = an eighth = 12 steps; 160 ticks = a triplet eighth = 8 steps; 2 quarters.
        assert_eq!(s.offsets, vec![12, 8, 48]);
        assert_eq!(s.onsets, 3);
    }

    #[test]
    fn split_mode_emits_lowest_first_with_zero_gaps() {
        let s = piece_streams(&piece(), &OffsetGrid::default(), TokenMode::Split);
        let notes: Vec<u8> = s.notes.iter().map(|n| n[0]).collect();
        assert_eq!(notes, vec![48, 64, 67, 62, 60, 64]);
        assert_eq!(s.offsets, vec![0, 0, 12, 8, 0, 48]);
        assert_eq!(s.onsets, 3);
    }

    /// Builds a piece bar by bar through several meters, noting for every onset the bar
    /// position it was placed at; the streams must find the same positions from the meter
    /// changes alone.
    #[test]
    fn metric_positions_match_a_count_of_bars() {
        use crate::corpus::{Meter, MeterMap};
        let tpq = 480u64;
        // Counted beats by hand: dotted quarters in 6/8, sixteenths in 7/16, halves in 2/2.
        let beat_steps = |m: Meter| match m.to_string().as_str() {
            "6/8" => 36,
            "7/16" => 6,
            "2/2" => 48,
            _ => 24,
        };
        let mut changes = Vec::new();
        let mut onsets = Vec::new();
        let mut expected = Vec::new();
        let mut bar_start = 0u64;
        for (meter, bars) in [("4/4", 2), ("3/4", 3), ("6/8", 2), ("7/16", 1), ("2/2", 1)] {
            let meter: Meter = meter.parse().unwrap();
            changes.push((bar_start, meter));
            let unit = tpq * 4 / u64::from(meter.denominator());
            let bar = unit * u64::from(meter.numerator());
            for _ in 0..bars {
                for k in 0..u64::from(meter.numerator()) {
                    for offset in [k * unit, k * unit + unit / 3] {
                        onsets.push(Onset {
                            tick: bar_start + offset,
                            pitches: vec![60, 67],
                        });
                        // 480 ticks per quarter = 20 ticks per grid step.
                        expected.push(MetricPosition {
                            step_in_bar: (offset / 20) as u32,
                            bar_steps: (bar / 20) as u32,
                            beat_steps: beat_steps(meter),
                        });
                    }
                }
                bar_start += bar;
            }
        }
        let piece = Piece {
            ticks_per_quarter: tpq as u16,
            onsets,
            end_tick: bar_start,
            meters: MeterMap::from_events(changes),
        };
        let grid = OffsetGrid::default();
        let chords = piece_streams(&piece, &grid, TokenMode::Chord);
        assert_eq!(chords.positions, expected);
        let split = piece_streams(&piece, &grid, TokenMode::Split);
        let doubled: Vec<MetricPosition> = expected.iter().flat_map(|&p| [p, p]).collect();
        assert_eq!(split.positions, doubled);
    }
}
