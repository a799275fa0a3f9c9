//! Time signatures, and where in its bar each moment of a piece falls.
//!
//! A time-signature change starts a new bar, wherever it falls: that is how notation
//! programs and DAWs read a file whose change lands mid-bar. A file without any time
//! signature is in 4/4, as the MIDI specification says.

use serde::{Deserialize, Serialize};

/// A time signature: `numerator` beats of a 1/`denominator` note per bar. The denominator
/// is a power of two from 1 to 64 and the numerator at least 1, so every bar has a length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Meter {
    numerator: u8,
    denominator: u8,
}

impl Default for Meter {
    fn default() -> Self {
        Meter::COMMON_TIME
    }
}

impl Meter {
    pub const COMMON_TIME: Meter = Meter {
        numerator: 4,
        denominator: 4,
    };

    pub fn new(numerator: u8, denominator: u8) -> Option<Meter> {
        (numerator >= 1 && denominator.is_power_of_two() && denominator <= 64).then_some(Meter {
            numerator,
            denominator,
        })
    }

    /// As a MIDI time-signature event stores it: the denominator as a power of two.
    pub fn from_midi(numerator: u8, denominator_power: u8) -> Option<Meter> {
        Meter::new(numerator, 1u8.checked_shl(u32::from(denominator_power))?)
    }

    /// The denominator as a MIDI time-signature event stores it, a power of two.
    pub fn midi_denominator(self) -> u8 {
        self.denominator.trailing_zeros() as u8
    }

    pub fn numerator(self) -> u8 {
        self.numerator
    }

    pub fn denominator(self) -> u8 {
        self.denominator
    }

    /// The length of a bar in quarter notes (6/8: 3).
    pub fn bar_quarters(self) -> f64 {
        f64::from(self.numerator) * 4.0 / f64::from(self.denominator)
    }

    /// The length of the beat a musician counts, in quarter notes: three of the
    /// denominator's notes in a compound meter (6/8, 9/8, 12/8: a dotted quarter), else one
    /// (3/4: a quarter, 2/2: a half). This is what tells 6/8 from 3/4, whose bars are equally
    /// long.
    pub fn beat_quarters(self) -> f64 {
        let unit = 4.0 / f64::from(self.denominator);
        let compound = self.denominator >= 8 && self.numerator > 3 && self.numerator % 3 == 0;
        if compound {
            3.0 * unit
        } else {
            unit
        }
    }
}

impl std::fmt::Display for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time signature: write it as N/D, such as 4/4, 3/4 or 6/8 (D a power of two up to 64)")]
pub struct BadMeter(pub String);

impl std::str::FromStr for Meter {
    type Err = BadMeter;

    fn from_str(s: &str) -> Result<Meter, BadMeter> {
        let bad = || BadMeter(s.to_owned());
        let (n, d) = s.trim().split_once('/').ok_or_else(bad)?;
        let (n, d) = (
            n.trim().parse().map_err(|_| bad())?,
            d.trim().parse().map_err(|_| bad())?,
        );
        Meter::new(n, d).ok_or_else(bad)
    }
}

impl TryFrom<String> for Meter {
    type Error = BadMeter;
    fn try_from(s: String) -> Result<Meter, BadMeter> {
        s.parse()
    }
}

impl From<Meter> for String {
    fn from(m: Meter) -> String {
        m.to_string()
    }
}

/// A meter and the tick from which it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterChange {
    pub tick: u64,
    pub meter: Meter,
}

/// The meters of a piece in time order. Never empty; the first holds from tick 0, and the
/// ticks rise strictly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeterMap {
    changes: Vec<MeterChange>,
}

/// Where a moment falls: the meter in force and the distance from its bar's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BarPosition {
    pub meter: Meter,
    /// In quarter notes, from 0 up to (not including) the bar's length.
    pub quarters_into_bar: f64,
}

impl Default for MeterMap {
    fn default() -> Self {
        MeterMap::from_events([])
    }
}

impl MeterMap {
    /// From a file's time-signature events, in any order and from any track. Of several at
    /// one tick the last read wins; one that repeats the meter in force changes nothing (it
    /// does not restart the bar). Before the first, the piece is in 4/4.
    pub fn from_events(events: impl IntoIterator<Item = (u64, Meter)>) -> MeterMap {
        let mut events: Vec<(u64, Meter)> = events.into_iter().collect();
        events.sort_by_key(|&(tick, _)| tick); // stable: the last read at a tick stays last
        let mut changes = vec![MeterChange {
            tick: 0,
            meter: Meter::COMMON_TIME,
        }];
        for (tick, meter) in events {
            let last = changes.last_mut().expect("never empty");
            if last.tick == tick {
                last.meter = meter;
            } else if last.meter != meter {
                changes.push(MeterChange { tick, meter });
            }
        }
        // A change at tick 0 may have set the same meter as the one after it.
        changes.dedup_by(|later, earlier| later.meter == earlier.meter);
        MeterMap { changes }
    }

    pub fn changes(&self) -> &[MeterChange] {
        &self.changes
    }

    /// The change in force at `tick`.
    pub fn at(&self, tick: u64) -> MeterChange {
        let i = self.changes.partition_point(|c| c.tick <= tick);
        self.changes[i.saturating_sub(1)]
    }

    /// Where `tick` falls in its bar, for a file of `ticks_per_quarter`.
    pub fn position(&self, tick: u64, ticks_per_quarter: u16) -> BarPosition {
        let change = self.at(tick);
        let quarters = (tick - change.tick) as f64 / f64::from(ticks_per_quarter.max(1));
        BarPosition {
            meter: change.meter,
            quarters_into_bar: quarters.rem_euclid(change.meter.bar_quarters()),
        }
    }

    /// Each stretch of one meter in a piece ending at `end_tick`: (meter, ticks).
    pub fn spans(&self, end_tick: u64) -> impl Iterator<Item = (Meter, u64)> + '_ {
        self.changes.iter().enumerate().map(move |(i, c)| {
            let until = self.changes.get(i + 1).map_or(end_tick, |n| n.tick);
            (c.meter, until.saturating_sub(c.tick))
        })
    }
}

/// The meter that holds longest over all `pieces` (by duration in quarter notes; the
/// smaller meter on a tie), 4/4 for none: a model's default meter, and the bars that
/// evaluation lays generated music into.
pub fn predominant_meter<'a>(pieces: impl IntoIterator<Item = &'a super::Piece>) -> Meter {
    let mut time: Vec<(Meter, f64)> = Vec::new();
    for piece in pieces {
        for (meter, ticks) in piece.meters.spans(piece.end_tick) {
            let quarters = piece.quarters(ticks);
            match time.iter_mut().find(|(m, _)| *m == meter) {
                Some((_, t)) => *t += quarters,
                None => time.push((meter, quarters)),
            }
        }
    }
    time.sort_by_key(|&(m, _)| m);
    time.into_iter()
        .rev()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(Meter::COMMON_TIME, |(m, _)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Meter {
        s.parse().unwrap()
    }

    #[test]
    fn meters_parse_print_and_refuse_nonsense() {
        assert_eq!(m("6/8").bar_quarters(), 3.0);
        assert_eq!(m(" 3 / 4 ").to_string(), "3/4");
        assert_eq!(m("7/16").bar_quarters(), 1.75);
        for (meter, beat) in [
            ("6/8", 1.5),
            ("12/8", 1.5),
            ("3/8", 0.5),
            ("3/4", 1.0),
            ("2/2", 2.0),
            ("9/16", 0.75),
        ] {
            assert_eq!(m(meter).beat_quarters(), beat, "{meter}");
        }
        for bad in ["", "4", "0/4", "4/3", "4/0", "4/128", "x/4", "4/4/4"] {
            assert!(bad.parse::<Meter>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(Meter::from_midi(6, 3), Some(m("6/8")));
        assert_eq!(m("6/8").midi_denominator(), 3);
        assert_eq!(Meter::from_midi(4, 7), None);
        assert_eq!(Meter::from_midi(4, 200), None);
        let json = serde_json::to_string(&m("12/8")).unwrap();
        assert_eq!(json, "\"12/8\"");
        assert_eq!(serde_json::from_str::<Meter>(&json).unwrap(), m("12/8"));
        assert!(serde_json::from_str::<Meter>("\"5/6\"").is_err());
    }

    #[test]
    fn a_piece_without_time_signatures_is_in_four_four() {
        let map = MeterMap::from_events([]);
        assert_eq!(
            map.changes(),
            &[MeterChange {
                tick: 0,
                meter: Meter::COMMON_TIME
            }]
        );
        let p = map.position(480 * 5 + 240, 480);
        assert_eq!((p.meter, p.quarters_into_bar), (Meter::COMMON_TIME, 1.5));
    }

    #[test]
    fn changes_are_ordered_merged_and_restart_the_bar() {
        // Out of order, a duplicate tick (the last wins) and a repeat of the meter in force.
        let map = MeterMap::from_events([
            (960 * 3, m("6/8")),
            (0, m("2/4")),
            (0, m("3/4")),
            (960 * 2, m("3/4")),
        ]);
        let ticks: Vec<(u64, String)> = map
            .changes()
            .iter()
            .map(|c| (c.tick, c.meter.to_string()))
            .collect();
        assert_eq!(ticks, vec![(0, "3/4".into()), (2880, "6/8".into())]);
        // 3/4 from 0: tick 2880 is 3 quarters = bar 2's start; in 6/8 bars of 3 quarters.
        assert_eq!(
            map.position(2879, 960).quarters_into_bar,
            2879.0 / 960.0 - 0.0
        );
        assert_eq!(map.position(2880 + 960 * 4, 960).quarters_into_bar, 1.0);
        // A change mid-bar starts a new bar there.
        let mid = MeterMap::from_events([(480, m("2/4"))]);
        assert_eq!(mid.position(480, 480).quarters_into_bar, 0.0);
        assert_eq!(mid.position(480 * 4, 480).quarters_into_bar, 1.0);
    }

    #[test]
    fn the_meter_held_longest_over_all_pieces_wins() {
        let piece = |tpq: u16, end_tick: u64, events: Vec<(u64, Meter)>| crate::corpus::Piece {
            ticks_per_quarter: tpq,
            onsets: Vec::new(),
            end_tick,
            meters: MeterMap::from_events(events),
        };
        // One tick a quarter: 3/4 for 90 quarters, 4/4 for 10.
        let a = piece(1, 100, vec![(0, m("3/4")), (50, m("4/4")), (60, m("3/4"))]);
        assert_eq!(predominant_meter([&a]), m("3/4"));
        let b = piece(10, 600, vec![]);
        assert_eq!(predominant_meter([&a, &b]), m("3/4")); // 90 quarters against 10 + 60
        let c = piece(10, 1000, vec![]);
        assert_eq!(predominant_meter([&a, &c]), m("4/4")); // 90 against 110
        assert_eq!(predominant_meter([]), Meter::COMMON_TIME);
        // A tie goes to the smaller meter, whatever the order.
        let d = piece(1, 10, vec![(0, m("6/8"))]);
        let e = piece(1, 10, vec![(0, m("2/4"))]);
        assert_eq!(predominant_meter([&d, &e]), m("2/4"));
        assert_eq!(predominant_meter([&e, &d]), m("2/4"));
    }
}
