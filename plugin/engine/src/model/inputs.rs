//! What each network reads at a step: the architectures and their inputs.
//!
//! The seed architecture has two networks blind to each other: each reads only its own
//! stream's previous token. The joint architecture gives both the previous note, the
//! previous offset and where in the bar the onset being chosen falls; the offset network
//! also reads the note it is timing, so a step is p(note | past, position) ·
//! p(gap | past, note, position). In split mode that note is the chord's newest, which is
//! how the offset network learns when a chord is complete.

use super::streams::{PerStream, StreamKind};
use crate::tokens::MetricPosition;
use serde::{Deserialize, Serialize};

/// A model set's architecture, as `model.json` names it (`seed` in files from before it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    #[default]
    Seed,
    Joint,
}

impl std::str::FromStr for Arch {
    type Err = String;

    fn from_str(s: &str) -> Result<Arch, String> {
        match s {
            "seed" => Ok(Arch::Seed),
            "joint" => Ok(Arch::Joint),
            _ => Err(format!("unknown architecture {s:?}: use seed or joint")),
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::Seed => "seed",
            Arch::Joint => "joint",
        })
    }
}

/// One part of a network's input vector, in the order they are concatenated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetInput {
    /// A stream's token of the previous step, embedded.
    Prev(StreamKind),
    /// A stream's token already drawn for this step (the note an offset times), embedded.
    Current(StreamKind),
    /// The onset's place in its bar ([`metric_features`]).
    Metric,
}

impl NetInput {
    /// The stream whose vocabulary an embedded input indexes; `None` for computed features.
    /// Every input must answer here (no wildcard), so a new input cannot silently read
    /// another stream's vocabulary.
    pub fn vocabulary(self) -> Option<StreamKind> {
        match self {
            NetInput::Prev(kind) | NetInput::Current(kind) => Some(kind),
            NetInput::Metric => None,
        }
    }

    /// The joint architecture's name for its embedding (`embedding_prev_note`); the seed
    /// architecture's networks have one, `embedding`.
    pub fn embedding_name(self) -> Option<String> {
        let (when, kind) = match self {
            NetInput::Prev(kind) => ("prev", kind),
            NetInput::Current(kind) => ("current", kind),
            NetInput::Metric => return None,
        };
        Some(format!("embedding_{when}_{}", kind.name()))
    }
}

impl Arch {
    pub fn inputs(self, kind: StreamKind) -> &'static [NetInput] {
        use NetInput::*;
        use StreamKind::*;
        match (self, kind) {
            (Arch::Seed, Note) => &[Prev(Note)],
            (Arch::Seed, Offset) => &[Prev(Offset)],
            (Arch::Joint, Note) => &[Prev(Note), Prev(Offset), Metric],
            (Arch::Joint, Offset) => &[Prev(Note), Prev(Offset), Metric, Current(Note)],
        }
    }

    /// Whether `kind`'s step reads `input`: a step waits for what it reads.
    pub fn reads(self, kind: StreamKind, input: NetInput) -> bool {
        self.inputs(kind).contains(&input)
    }
}

/// Everything a step of any network may read; each architecture takes its part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StepInput {
    /// Each stream's token of the previous step.
    pub prev: PerStream<u32>,
    /// Each stream's token already drawn for this step (the note being timed); a stream
    /// not drawn yet holds 0, which no network reads.
    pub current: PerStream<u32>,
    /// Where the onset being chosen (note network) or timed (offset network) falls.
    pub position: MetricPosition,
}

impl StepInput {
    /// The token an embedded input reads; `None` for the metric features.
    pub fn token(&self, input: NetInput) -> Option<u32> {
        match input {
            NetInput::Prev(kind) => Some(self.prev[kind]),
            NetInput::Current(kind) => Some(self.current[kind]),
            NetInput::Metric => None,
        }
    }
}

/// Harmonics of the bar's phase: the bar (1), its halves, thirds (3/4 and 6/8 beats),
/// quarters, sixths (eighths of 3/4 and 6/8) and eighths (eighths of 4/4).
const BAR_HARMONICS: [f64; 6] = [1.0, 2.0, 3.0, 4.0, 6.0, 8.0];
/// Harmonics of the counted beat's phase: halves, thirds (triplets, or 6/8's eighths) and
/// quarters (sixteenths).
const BEAT_HARMONICS: [f64; 4] = [1.0, 2.0, 3.0, 4.0];

/// Width of [`metric_features`].
pub const METRIC_FEATURES: usize = 2 * BAR_HARMONICS.len() + 2 * BEAT_HARMONICS.len() + 4;

/// A metric position as the networks read it: sines and cosines of the bar's and the
/// beat's phase (so the step before a downbeat is near it, as a musician hears it), flags
/// for the downbeat and the beats, and the bar's and beat's lengths. Fixed, not learned:
/// the plugin computes them for any meter a host reports, also those no corpus had.
pub fn metric_features(p: MetricPosition) -> [f32; METRIC_FEATURES] {
    let bar = f64::from(p.bar_steps.max(1));
    let beat = f64::from(p.beat_steps.max(1));
    let step = f64::from(p.step_in_bar);
    let bar_phase = std::f64::consts::TAU * step / bar;
    let beat_phase = std::f64::consts::TAU * (step % beat) / beat;
    let mut out = [0f32; METRIC_FEATURES];
    let waves = BAR_HARMONICS
        .iter()
        .map(|k| k * bar_phase)
        .chain(BEAT_HARMONICS.iter().map(|k| k * beat_phase));
    for (i, angle) in waves.enumerate() {
        out[2 * i] = angle.sin() as f32;
        out[2 * i + 1] = angle.cos() as f32;
    }
    let n = METRIC_FEATURES;
    out[n - 4] = f32::from(u8::from(p.step_in_bar == 0));
    out[n - 3] = f32::from(u8::from(p.step_in_bar % p.beat_steps.max(1) == 0));
    // A 4/4 bar and a quarter-note beat are 1 (on the default 24-step grid).
    out[n - 2] = (bar / 96.0) as f32;
    out[n - 1] = (beat / 24.0) as f32;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(step_in_bar: u32, bar_steps: u32, beat_steps: u32) -> MetricPosition {
        MetricPosition {
            step_in_bar,
            bar_steps,
            beat_steps,
        }
    }

    #[test]
    fn features_mark_downbeats_and_beats_and_tell_meters_apart() {
        let down = metric_features(at(0, 96, 24));
        assert_eq!(down[METRIC_FEATURES - 4..], [1.0, 1.0, 1.0, 1.0]);
        let second_beat = metric_features(at(24, 96, 24));
        assert_eq!(
            second_beat[METRIC_FEATURES - 4..METRIC_FEATURES - 2],
            [0.0, 1.0]
        );
        let offbeat = metric_features(at(12, 96, 24));
        assert_eq!(
            offbeat[METRIC_FEATURES - 4..METRIC_FEATURES - 2],
            [0.0, 0.0]
        );
        // The bar's cosine: 1 on the downbeat, -1 half way.
        assert!(
            (down[1] - 1.0).abs() < 1e-6 && (metric_features(at(48, 96, 24))[1] + 1.0).abs() < 1e-6
        );
        // 3/4 and 6/8 have bars of one length; the beat tells them apart.
        assert_ne!(
            metric_features(at(24, 72, 24)),
            metric_features(at(24, 72, 36))
        );
        assert!(down.iter().all(|x| x.is_finite()));
        // A degenerate position (no bar length) still gives finite features.
        assert!(metric_features(at(0, 0, 0)).iter().all(|x| x.is_finite()));
    }

    #[test]
    fn architectures_name_their_inputs() {
        let current_note = NetInput::Current(StreamKind::Note);
        assert_eq!(
            Arch::Seed.inputs(StreamKind::Note),
            &[NetInput::Prev(StreamKind::Note)]
        );
        assert!(Arch::Joint.reads(StreamKind::Offset, current_note));
        assert!(!Arch::Joint.reads(StreamKind::Note, current_note));
        assert_eq!(
            current_note.embedding_name().as_deref(),
            Some("embedding_current_note")
        );
        assert_eq!(NetInput::Metric.vocabulary(), None);
        assert_eq!(
            NetInput::Prev(StreamKind::Offset).vocabulary(),
            Some(StreamKind::Offset)
        );
        assert_eq!("joint".parse::<Arch>(), Ok(Arch::Joint));
        assert!("lstm".parse::<Arch>().is_err());
        assert_eq!(serde_json::to_string(&Arch::Joint).unwrap(), "\"joint\"");
    }
}
