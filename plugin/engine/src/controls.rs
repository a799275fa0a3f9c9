//! Every control the musician sets, declared once: its stable id, name, range, default, text
//! and clamp. The plugin's parameters, [`EngineParams::default`](crate::realtime::EngineParams)
//! and the command line's flags are all built from these entries, so a control cannot start,
//! clamp or read differently in one of them.
//!
//! The ids are the plugin's parameter ids: saved projects and host automation address
//! parameters by them, so an id never changes (a name may).

use crate::harmony::{parse_note, parse_root, NoteName, PitchClass, Scale};
use crate::realtime::{AnswerLength, Listening};

/// A number control. Values come in as `f64` so that `f32` fields (nice-plug, temperatures)
/// and `f64` fields (gate, tempo scale) both get the nearest value to the declared one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatControl {
    pub id: &'static str,
    pub name: &'static str,
    pub min: f64,
    pub max: f64,
    pub default: f64,
    /// The knob's step; `None`: continuous.
    pub step: Option<f64>,
    /// A value to put in the middle of the knob's travel; `None`: linear.
    pub centre: Option<f64>,
    pub text: FloatText,
}

/// How a number control's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatText {
    /// `0.80`.
    Plain,
    /// `1.00x`. The "x" is part of the text rather than a unit label: hosts that build names
    /// from labels (pedalboard's `tempo_scale_x`) keep the plain name.
    Times,
    /// `2.00 beats`.
    Beats,
}

impl FloatControl {
    /// Within the range; a value that is not a number takes the default.
    pub fn clamp(&self, value: f64) -> f64 {
        if value.is_nan() {
            self.default
        } else {
            value.clamp(self.min, self.max)
        }
    }

    /// [`FloatControl::clamp`] for the `f32` a parameter holds.
    pub fn clamp_f32(&self, value: f32) -> f32 {
        self.clamp(f64::from(value)) as f32
    }

    /// The skew that puts [`FloatControl::centre`] in the middle of the knob: the factor of a
    /// power curve from the normalized position to the value.
    pub fn skew_factor(&self) -> Option<f64> {
        let centre = self.centre?;
        Some(0.5f64.ln() / ((centre - self.min) / (self.max - self.min)).ln())
    }

    pub fn format(&self, value: f64) -> String {
        // Rounded to two decimals, a tiny negative value would read "-0.00".
        let value = if (value * 100.0).round() == 0.0 {
            0.0
        } else {
            value
        };
        match self.text {
            FloatText::Plain => format!("{value:.2}"),
            FloatText::Times => format!("{value:.2}x"),
            FloatText::Beats => format!("{value:.2} beats"),
        }
    }

    /// Reads a number with or without its unit (`1.5`, `1.5x`, `4 beats`); not clamped.
    pub fn parse(&self, text: &str) -> Option<f64> {
        let text = text.trim();
        let number = match self.text {
            FloatText::Plain => text,
            FloatText::Times => text.trim_end_matches(['x', 'X']),
            FloatText::Beats => text.trim_end_matches("beats").trim_end_matches("beat"),
        };
        number.trim().parse().ok().filter(|v: &f64| v.is_finite())
    }

    /// [`FloatControl::parse`] for a command line: a value outside the range is an error
    /// that names the range.
    pub fn parse_in_range(&self, text: &str) -> Result<f64, String> {
        self.parse(text)
            .filter(|v| (self.min..=self.max).contains(v))
            .ok_or_else(|| format!("expected a number from {} to {}", self.min, self.max))
    }
}

/// A whole-number control: a count, or a choice among numbered options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntControl {
    pub id: &'static str,
    pub name: &'static str,
    pub min: i32,
    pub max: i32,
    pub default: i32,
    pub text: IntText,
}

/// How a whole-number control's value reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntText {
    Number,
    /// A MIDI note by name: `C4` is 60 (numbers read too).
    Note,
    /// An index into [`Scale::ALL`], shown by label (`Harmonic Minor`).
    Scale,
    /// A pitch class, C = 0: `A#` (any note reads as its pitch class).
    Root,
    /// [`AnswerLength::index`]: `1 bar`, `4 bars`, `Until I play`.
    AnswerLength,
}

impl IntControl {
    pub fn clamp(&self, value: i32) -> i32 {
        value.clamp(self.min, self.max)
    }

    /// The value's text (a value outside the range reads as the nearest one inside).
    pub fn format(&self, value: i32) -> String {
        let value = self.clamp(value);
        match self.text {
            IntText::Number => value.to_string(),
            IntText::Note => NoteName(value as u8).to_string(),
            IntText::Scale => Scale::at(value as usize).label().to_owned(),
            IntText::Root => PitchClass::of(value as u8).to_string(),
            IntText::AnswerLength => match AnswerLength::from_index(value as u8) {
                AnswerLength::Bars(1) => "1 bar".to_owned(),
                AnswerLength::Bars(n) => format!("{n} bars"),
                AnswerLength::UntilIPlay => "Until I play".to_owned(),
            },
        }
    }

    /// Reads what [`IntControl::format`] writes, and the other spellings of its kind
    /// (`harmonic-minor`, `Bb`, `61`, `4`, `until ...`); not clamped, except that a name
    /// (note, scale, root, length) is only read if it is one.
    pub fn parse(&self, text: &str) -> Option<i32> {
        let text = text.trim();
        match self.text {
            IntText::Number => text.parse().ok(),
            IntText::Note => parse_note(text).ok().map(i32::from),
            IntText::Scale => text.parse::<Scale>().ok().map(|s| s.index() as i32),
            IntText::Root => parse_root(text).ok().map(|p| i32::from(p.index())),
            IntText::AnswerLength => {
                let text = text.to_lowercase();
                if text.starts_with("until") {
                    return Some(i32::from(AnswerLength::UNTIL_I_PLAY_INDEX));
                }
                let bars: u8 = text
                    .trim_end_matches("bars")
                    .trim_end_matches("bar")
                    .trim()
                    .parse()
                    .ok()?;
                (1..=AnswerLength::MAX_BARS)
                    .contains(&bars)
                    .then_some(i32::from(bars))
            }
        }
    }

    /// [`IntControl::parse`] for a command line: a value outside the range is an error that
    /// names the range.
    pub fn parse_in_range(&self, text: &str) -> Result<i32, String> {
        self.parse(text)
            .filter(|v| (self.min..=self.max).contains(v))
            .ok_or_else(|| {
                format!(
                    "expected {} to {}",
                    self.format(self.min),
                    self.format(self.max)
                )
            })
    }
}

/// An on/off control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoolControl {
    pub id: &'static str,
    pub name: &'static str,
    pub default: bool,
}

/// The model choice: an index into the model list, whose length only the installation knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelControl {
    pub id: &'static str,
    pub name: &'static str,
    pub default: i32,
}

impl ModelControl {
    /// The highest index for a list of `models`. A range needs min < max, so with fewer than
    /// two models the spare index exists and plays the last model (see
    /// [`ModelControl::slot`]).
    pub fn max(&self, models: usize) -> i32 {
        (models as i32 - 1).max(1)
    }

    /// The list slot an index plays: indices past the end play the last model.
    pub fn slot(&self, index: i32, models: usize) -> usize {
        (index.max(0) as usize).min(models.saturating_sub(1))
    }
}

/// Shapes pitch. The id is older than Rhythm Temperature: it shaped both streams then.
pub const TEMPERATURE: FloatControl = FloatControl {
    id: "temp",
    name: "Temperature",
    min: 0.0,
    max: 2.0,
    default: 0.8,
    step: Some(0.01),
    centre: None,
    text: FloatText::Plain,
};
pub const RHYTHM_TEMPERATURE: FloatControl = FloatControl {
    id: "rtemp",
    name: "Rhythm Temperature",
    ..TEMPERATURE
};
pub const SCALE: IntControl = IntControl {
    id: "scale",
    name: "Scale",
    min: 0,
    max: Scale::ALL.len() as i32 - 1,
    // Scale::Off: every note.
    default: 0,
    text: IntText::Scale,
};
pub const ROOT: IntControl = IntControl {
    id: "root",
    name: "Root",
    min: 0,
    max: 11,
    default: 0,
    text: IntText::Root,
};
pub const LOWEST: IntControl = IntControl {
    id: "lownote",
    name: "Lowest Note",
    min: 0,
    max: 127,
    default: 0,
    text: IntText::Note,
};
pub const HIGHEST: IntControl = IntControl {
    id: "highnote",
    name: "Highest Note",
    default: 127,
    ..LOWEST
};
/// Stretches every gap: 2 = half speed. A quarter to 4 times, 1 in the middle of the knob.
pub const TEMPO_SCALE: FloatControl = FloatControl {
    id: "tscale",
    name: "Tempo Scale",
    min: 0.25,
    max: 4.0,
    default: 1.0,
    step: None,
    centre: Some(1.0),
    text: FloatText::Times,
};
/// Note length as a fraction of the gap to the next onset.
pub const GATE: FloatControl = FloatControl {
    id: "gate",
    name: "Gate",
    min: 0.05,
    max: 1.0,
    default: 0.9,
    step: Some(0.01),
    centre: None,
    text: FloatText::Plain,
};
pub const VELOCITY: IntControl = IntControl {
    id: "vel",
    name: "Velocity",
    min: 1,
    max: 127,
    default: 90,
    text: IntText::Number,
};
/// Shown as musicians count channels, from 1; the engine's channel is this minus 1.
pub const CHANNEL: IntControl = IntControl {
    id: "chan",
    name: "MIDI Channel",
    min: 1,
    max: 16,
    default: 1,
    text: IntText::Number,
};
pub const SEED: IntControl = IntControl {
    id: "seed",
    name: "Seed",
    min: 0,
    max: 65535,
    default: 1,
    text: IntText::Number,
};
/// Start on the next bar line instead of the next beat (and answer on one).
pub const SYNC_TO_BAR: BoolControl = BoolControl {
    id: "sync",
    name: "Sync to Bar",
    default: false,
};
pub const LISTEN: BoolControl = BoolControl {
    id: "listen",
    name: "Listen",
    default: false,
};
/// Beats of silence before the answer.
pub const ANSWER_AFTER: FloatControl = FloatControl {
    id: "after",
    name: "Answer After",
    min: Listening::MIN_AFTER,
    max: Listening::MAX_AFTER,
    default: 2.0,
    step: Some(0.25),
    centre: None,
    text: FloatText::Beats,
};
/// [`AnswerLength::index`]: bars, then "until I play".
pub const ANSWER_LENGTH: IntControl = IntControl {
    id: "answer",
    name: "Answer Length",
    min: 1,
    max: AnswerLength::UNTIL_I_PLAY_INDEX as i32,
    default: 4,
    text: IntText::AnswerLength,
};
pub const THRU: BoolControl = BoolControl {
    id: "thru",
    name: "Thru",
    default: false,
};
pub const MODEL: ModelControl = ModelControl {
    id: "model",
    name: "Model",
    default: 0,
};
/// Momentary: switching it on restarts the generator (fresh state, the seed's streams).
pub const RESET: BoolControl = BoolControl {
    id: "reset",
    name: "Reset",
    default: false,
};
pub const BYPASS: BoolControl = BoolControl {
    id: "bypass",
    name: "Bypass",
    default: false,
};

/// The engine's listening settings from the Answer After and Answer Length values, clamped.
pub fn listening(answer_after: f64, answer_length: i32) -> Listening {
    Listening {
        answer_after: ANSWER_AFTER.clamp(answer_after),
        answer_length: AnswerLength::from_index(ANSWER_LENGTH.clamp(answer_length) as u8),
    }
}

/// One entry of the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Control {
    Float(FloatControl),
    Int(IntControl),
    Bool(BoolControl),
    Model(ModelControl),
}

impl Control {
    pub fn id(&self) -> &'static str {
        match self {
            Control::Float(c) => c.id,
            Control::Int(c) => c.id,
            Control::Bool(c) => c.id,
            Control::Model(c) => c.id,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Control::Float(c) => c.name,
            Control::Int(c) => c.name,
            Control::Bool(c) => c.name,
            Control::Model(c) => c.name,
        }
    }
}

/// Every control, in the order the plugin lists its parameters.
pub const ALL: [Control; 19] = [
    Control::Float(TEMPERATURE),
    Control::Float(RHYTHM_TEMPERATURE),
    Control::Int(SCALE),
    Control::Int(ROOT),
    Control::Int(LOWEST),
    Control::Int(HIGHEST),
    Control::Float(TEMPO_SCALE),
    Control::Float(GATE),
    Control::Int(VELOCITY),
    Control::Int(CHANNEL),
    Control::Int(SEED),
    Control::Bool(SYNC_TO_BAR),
    Control::Bool(LISTEN),
    Control::Float(ANSWER_AFTER),
    Control::Int(ANSWER_LENGTH),
    Control::Bool(THRU),
    Control::Model(MODEL),
    Control::Bool(RESET),
    Control::Bool(BYPASS),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_the_saved_ones_and_unique() {
        let ids: Vec<&str> = ALL.iter().map(Control::id).collect();
        assert_eq!(
            ids,
            [
                "temp", "rtemp", "scale", "root", "lownote", "highnote", "tscale", "gate", "vel",
                "chan", "seed", "sync", "listen", "after", "answer", "thru", "model", "reset",
                "bypass"
            ]
        );
        let names: HashSet<&str> = ALL.iter().map(Control::name).collect();
        assert_eq!(names.len(), ALL.len(), "two controls share a name");
    }

    #[test]
    fn every_default_is_in_range_and_reads_back() {
        for control in ALL {
            match control {
                Control::Float(c) => {
                    assert!(c.min < c.max && c.clamp(c.default) == c.default, "{c:?}");
                    assert_eq!(c.parse(&c.format(c.default)), Some(c.default), "{c:?}");
                }
                Control::Int(c) => {
                    assert!(c.min < c.max && c.clamp(c.default) == c.default, "{c:?}");
                    for v in c.min..=c.max.min(c.min + 200) {
                        assert_eq!(c.parse(&c.format(v)), Some(v), "{c:?} at {v}");
                    }
                }
                Control::Bool(_) | Control::Model(_) => {}
            }
        }
    }

    #[test]
    fn texts_read_as_musicians_write_them() {
        assert_eq!(TEMPO_SCALE.format(1.0), "1.00x");
        assert_eq!(TEMPO_SCALE.parse(" 4X "), Some(4.0));
        assert_eq!(ANSWER_AFTER.format(2.0), "2.00 beats");
        assert_eq!(ANSWER_AFTER.parse("1 beat"), Some(1.0));
        assert_eq!(TEMPERATURE.format(-0.001), "0.00");
        assert_eq!(TEMPERATURE.parse("nan"), None);
        assert_eq!(LOWEST.format(60), "C4");
        assert_eq!(LOWEST.parse("Bb2"), Some(46));
        assert_eq!(SCALE.format(3), "Harmonic Minor");
        assert_eq!(SCALE.parse("harmonic-minor"), Some(3));
        assert_eq!(ROOT.parse("D4"), Some(2));
        assert_eq!(ANSWER_LENGTH.format(1), "1 bar");
        assert_eq!(ANSWER_LENGTH.format(17), "Until I play");
        assert_eq!(ANSWER_LENGTH.parse("Until I play again"), Some(17));
        assert_eq!(ANSWER_LENGTH.parse("17"), None);
    }

    #[test]
    fn clamps_hold_values_to_the_range() {
        assert_eq!(GATE.clamp(1.5), 1.0);
        assert_eq!(GATE.clamp(-1.0), 0.05);
        assert_eq!(GATE.clamp(f64::NAN), GATE.default);
        assert_eq!(TEMPO_SCALE.clamp(f64::INFINITY), 4.0);
        assert_eq!(TEMPERATURE.clamp_f32(3.0), 2.0);
        assert_eq!(CHANNEL.clamp(0), 1);
        assert_eq!(VELOCITY.clamp(300), 127);
        assert_eq!(
            GATE.parse_in_range("1.5"),
            Err("expected a number from 0.05 to 1".to_owned())
        );
        assert_eq!(
            LOWEST.parse_in_range("200"),
            Err("expected C-1 to G9".to_owned())
        );
        assert_eq!(LOWEST.parse_in_range("C4"), Ok(60));
    }

    #[test]
    fn the_tempo_scale_knob_is_centred_on_one() {
        let factor = TEMPO_SCALE.skew_factor().unwrap();
        let at_half =
            TEMPO_SCALE.min + (TEMPO_SCALE.max - TEMPO_SCALE.min) * 0.5f64.powf(1.0 / factor);
        assert!((at_half - 1.0).abs() < 1e-9, "{at_half}");
        assert_eq!(GATE.skew_factor(), None);
    }

    #[test]
    fn the_listening_defaults_are_the_engines() {
        let defaults = listening(ANSWER_AFTER.default, ANSWER_LENGTH.default);
        assert_eq!(defaults, Listening::default());
        assert_eq!(listening(100.0, 0).answer_after, Listening::MAX_AFTER);
        assert_eq!(listening(0.0, 99).answer_length, AnswerLength::UntilIPlay);
        assert_eq!(listening(1.0, -5).answer_length, AnswerLength::Bars(1));
    }

    #[test]
    fn model_indices_past_the_list_play_the_last_model() {
        assert_eq!(MODEL.max(0), 1);
        assert_eq!(MODEL.max(1), 1);
        assert_eq!(MODEL.max(3), 2);
        assert_eq!(MODEL.slot(7, 3), 2);
        assert_eq!(MODEL.slot(-1, 3), 0);
        assert_eq!(MODEL.slot(1, 0), 0);
    }
}
