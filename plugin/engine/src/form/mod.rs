//! Form: what was played at the same place 1, 2, 4 and 8 bars ago, the inputs that let the
//! networks bring a phrase back (Magenta's Lookback RNN looks one and two bars back; a tune's
//! form repeats at four and eight).

mod history;
mod lookback;

pub use history::{History, HistoryMark, PlayedStep, HISTORY_STEPS, LONGEST_BAR_STEPS};
pub use lookback::{look_back, lookbacks, Looked, PlayedSteps, StepClock, StepTime};

use serde::{Deserialize, Serialize};

/// The most distances a model may look back at.
pub const MAX_DISTANCES: usize = 4;
/// The farthest a model may look back, in bars: what the plugin's history keeps.
pub const MAX_LOOKBACK_BARS: u8 = 8;

/// The bar distances a model looks back (a hyper-parameter in `model.json`): 1 to
/// [`MAX_LOOKBACK_BARS`], rising, at most [`MAX_DISTANCES`] of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<u8>", into = "Vec<u8>")]
pub struct Distances {
    bars: [u8; MAX_DISTANCES],
    len: u8,
}

impl Default for Distances {
    /// 1, 2, 4 and 8 bars: the last bar, the answer to a phrase, and the halves and wholes
    /// of an 8- or 16-bar strain.
    fn default() -> Self {
        Distances {
            bars: [1, 2, 4, 8],
            len: 4,
        }
    }
}

impl Distances {
    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        self.bars[..usize::from(self.len)].iter().copied()
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("lookback distances {0:?}: give 1 to {MAX_DISTANCES} bar counts from 1 to {MAX_LOOKBACK_BARS}, rising")]
pub struct BadDistances(pub Vec<u8>);

impl TryFrom<Vec<u8>> for Distances {
    type Error = BadDistances;

    fn try_from(bars: Vec<u8>) -> Result<Distances, BadDistances> {
        let rising = bars.windows(2).all(|w| w[0] < w[1]);
        let in_range = bars.iter().all(|b| (1..=MAX_LOOKBACK_BARS).contains(b));
        if bars.is_empty() || bars.len() > MAX_DISTANCES || !rising || !in_range {
            return Err(BadDistances(bars));
        }
        let mut out = Distances {
            bars: [0; MAX_DISTANCES],
            len: bars.len() as u8,
        };
        out.bars[..bars.len()].copy_from_slice(&bars);
        Ok(out)
    }
}

impl From<Distances> for Vec<u8> {
    fn from(d: Distances) -> Vec<u8> {
        d.iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_read_from_json_and_refuse_what_the_history_cannot_hold() {
        let d: Distances = serde_json::from_str("[1, 2, 4, 8]").unwrap();
        assert_eq!(d, Distances::default());
        assert_eq!(serde_json::to_string(&d).unwrap(), "[1,2,4,8]");
        let two: Distances = serde_json::from_str("[2, 4]").unwrap();
        assert_eq!(two.iter().collect::<Vec<_>>(), [2, 4]);
        for bad in [
            "[]",
            "[0, 1]",
            "[1, 9]",
            "[4, 2]",
            "[1, 1]",
            "[1, 2, 3, 4, 5]",
            "[300]",
        ] {
            assert!(serde_json::from_str::<Distances>(bad).is_err(), "{bad}");
        }
    }
}
