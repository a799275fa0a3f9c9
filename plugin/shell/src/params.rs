//! The plugin's parameters. The ids are stable: renaming a parameter keeps old projects and
//! automation working, changing an id does not.

use super::state::ModelChoice;
use deepmidi_engine::catalogue::ModelNames;
use deepmidi_engine::harmony::{parse_note, parse_root, NoteName, PitchClass, PitchLock, Scale};
use deepmidi_engine::player::PlayerControls;
use deepmidi_engine::realtime::{AnswerLength, EngineParams, Listening};
use nice_plug::prelude::*;
use std::sync::{Arc, RwLock};

#[derive(Params)]
pub struct DeepMidiParams {
    /// Shapes pitch (it shaped both streams before Rhythm Temperature; the id stays).
    #[id = "temp"]
    pub temperature: FloatParam,
    #[id = "rtemp"]
    pub rhythm_temperature: FloatParam,
    /// An index into `Scale::ALL`.
    #[id = "scale"]
    pub scale: IntParam,
    /// The scale's root, a pitch class (C = 0).
    #[id = "root"]
    pub root: IntParam,
    #[id = "lownote"]
    pub lowest: IntParam,
    #[id = "highnote"]
    pub highest: IntParam,
    #[id = "tscale"]
    pub tempo_scale: FloatParam,
    #[id = "gate"]
    pub gate: FloatParam,
    #[id = "vel"]
    pub velocity: IntParam,
    #[id = "chan"]
    pub channel: IntParam,
    #[id = "seed"]
    pub seed: IntParam,
    #[id = "sync"]
    pub sync_to_bar: BoolParam,
    #[id = "listen"]
    pub listen: BoolParam,
    /// Beats of silence before the answer.
    #[id = "after"]
    pub answer_after: FloatParam,
    /// `AnswerLength::index`: bars, then "until I play".
    #[id = "answer"]
    pub answer_length: IntParam,
    #[id = "thru"]
    pub thru: BoolParam,
    /// Index into the model list; shows the model's name.
    #[id = "model"]
    pub model: IntParam,
    /// Momentary: switching it on restarts the generator (fresh state, the seed's streams).
    #[id = "reset"]
    pub reset: BoolParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// Saved as `state::MODEL_NAME_FIELD`.
    #[persist = "model-name"]
    pub model_choice: ModelChoice,
    /// The editor window's size in logical pixels, saved with the project.
    #[persist = "editor-size"]
    pub editor_size: RwLock<WindowSize>,
}

/// A window size in logical pixels (scaled by the host's DPI setting when shown).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WindowSize {
    pub width: u32,
    pub height: u32,
}

impl WindowSize {
    pub const DEFAULT: WindowSize = WindowSize {
        width: 980,
        height: 640,
    };
    pub const MIN: WindowSize = WindowSize {
        width: 720,
        height: 480,
    };

    /// Within [`WindowSize::MIN`] and 4 times the default: a damaged state cannot open a
    /// window no screen holds.
    pub fn sane(self) -> WindowSize {
        WindowSize {
            width: self.width.clamp(Self::MIN.width, Self::DEFAULT.width * 4),
            height: self
                .height
                .clamp(Self::MIN.height, Self::DEFAULT.height * 4),
        }
    }
}

/// A 0–2 temperature knob.
fn temperature(name: &str, default: f32) -> FloatParam {
    FloatParam::new(name, default, FloatRange::Linear { min: 0.0, max: 2.0 })
        .with_step_size(0.01)
        .with_value_to_string(formatters::v2s_f32_rounded(2))
}

/// A MIDI note, shown and typed as a name (C4 = 60) or a number.
fn note(name: &str, default: u8) -> IntParam {
    IntParam::new(
        name,
        i32::from(default),
        IntRange::Linear { min: 0, max: 127 },
    )
    .with_value_to_string(Arc::new(|v| NoteName(v.clamp(0, 127) as u8).to_string()))
    .with_string_to_value(Arc::new(|s| parse_note(s).ok().map(i32::from)))
}

/// Answer Length's text: "1 bar", "4 bars", "Until I play".
fn answer_length_text(index: i32) -> String {
    match AnswerLength::from_index(index.clamp(0, 255) as u8) {
        AnswerLength::Bars(1) => "1 bar".to_owned(),
        AnswerLength::Bars(n) => format!("{n} bars"),
        AnswerLength::UntilIPlay => "Until I play".to_owned(),
    }
}

/// Reads "4", "4 bars" or anything starting with "until" (any case).
fn parse_answer_length(text: &str) -> Option<i32> {
    let text = text.trim().to_lowercase();
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

/// The skew that puts a tempo scale of 1 in the middle of the 0.25–4 knob.
fn tempo_scale_skew() -> f32 {
    0.5f32.ln() / ((1.0 - 0.25) / (4.0 - 0.25f32)).ln()
}

impl DeepMidiParams {
    /// `names` is the model list's (may be empty).
    pub fn new(names: ModelNames) -> DeepMidiParams {
        let (shown, parsed) = (names.clone(), names.clone());
        // A range needs min < max: with fewer than two models the spare index plays the last.
        let model_max = (names.len() as i32 - 1).max(1);
        let model_choice = ModelChoice::new(names);
        let defaults = EngineParams::default();
        let lock = defaults.lock;
        let listening = Listening::default();
        DeepMidiParams {
            temperature: temperature("Temperature", defaults.temperature),
            rhythm_temperature: temperature("Rhythm Temperature", defaults.rhythm_temperature),
            scale: IntParam::new(
                "Scale",
                lock.scale.index() as i32,
                IntRange::Linear {
                    min: 0,
                    max: Scale::ALL.len() as i32 - 1,
                },
            )
            .with_value_to_string(Arc::new(|i| {
                Scale::at(i.max(0) as usize).label().to_owned()
            }))
            .with_string_to_value(Arc::new(|s| {
                s.parse::<Scale>().ok().map(|scale| scale.index() as i32)
            })),
            root: IntParam::new(
                "Root",
                i32::from(lock.root.index()),
                IntRange::Linear { min: 0, max: 11 },
            )
            .with_value_to_string(Arc::new(|i| {
                PitchClass::of(i.clamp(0, 11) as u8).to_string()
            }))
            .with_string_to_value(Arc::new(|s| {
                parse_root(s).ok().map(|p| i32::from(p.index()))
            })),
            lowest: note("Lowest Note", lock.lowest),
            highest: note("Highest Note", lock.highest),
            tempo_scale: FloatParam::new(
                "Tempo Scale",
                defaults.tempo_scale as f32,
                FloatRange::Skewed {
                    min: 0.25,
                    max: 4.0,
                    factor: tempo_scale_skew(),
                },
            )
            // "x" in the text rather than as the unit label: hosts that build names from
            // labels (pedalboard's `tempo_scale_x`) keep the plain name.
            .with_value_to_string(Arc::new(|v| format!("{v:.2}x")))
            .with_string_to_value(Arc::new(|s| {
                s.trim().trim_end_matches(['x', 'X']).trim().parse().ok()
            })),
            gate: FloatParam::new(
                "Gate",
                defaults.gate as f32,
                FloatRange::Linear {
                    min: 0.05,
                    max: 1.0,
                },
            )
            .with_step_size(0.01)
            .with_value_to_string(formatters::v2s_f32_rounded(2)),
            velocity: IntParam::new(
                "Velocity",
                i32::from(defaults.velocity),
                IntRange::Linear { min: 1, max: 127 },
            ),
            channel: IntParam::new(
                "MIDI Channel",
                i32::from(defaults.channel) + 1,
                IntRange::Linear { min: 1, max: 16 },
            ),
            seed: IntParam::new("Seed", 1, IntRange::Linear { min: 0, max: 65535 }),
            sync_to_bar: BoolParam::new("Sync to Bar", defaults.sync_to_bar),
            listen: BoolParam::new("Listen", defaults.listen.is_some()),
            answer_after: FloatParam::new(
                "Answer After",
                listening.answer_after as f32,
                FloatRange::Linear {
                    min: Listening::MIN_AFTER as f32,
                    max: Listening::MAX_AFTER as f32,
                },
            )
            .with_step_size(0.25)
            .with_value_to_string(Arc::new(|v| format!("{v:.2} beats")))
            .with_string_to_value(Arc::new(|s| {
                s.trim()
                    .trim_end_matches("beats")
                    .trim_end_matches("beat")
                    .trim()
                    .parse()
                    .ok()
            })),
            answer_length: IntParam::new(
                "Answer Length",
                i32::from(listening.answer_length.index()),
                IntRange::Linear {
                    min: 1,
                    max: i32::from(AnswerLength::UNTIL_I_PLAY_INDEX),
                },
            )
            .with_value_to_string(Arc::new(answer_length_text))
            .with_string_to_value(Arc::new(parse_answer_length)),
            thru: BoolParam::new("Thru", false),
            model: IntParam::new(
                "Model",
                0,
                IntRange::Linear {
                    min: 0,
                    max: model_max,
                },
            )
            .with_callback(model_choice.selector())
            .with_value_to_string(Arc::new(move |i| shown.shown(i)))
            .with_string_to_value(Arc::new(move |s| parsed.parse(s))),
            reset: BoolParam::new("Reset", false),
            bypass: BoolParam::new("Bypass", false).make_bypass(),
            model_choice,
            editor_size: RwLock::new(WindowSize::DEFAULT),
        }
    }

    /// The player's controls from the current values (the model slot follows a loaded
    /// state's model name, see `state.rs`).
    pub fn controls(&self) -> PlayerControls {
        PlayerControls {
            slot: self.model_choice.selected(),
            seed: self.seed(),
            reset: self.reset.value(),
            bypass: self.bypass.value(),
            thru: self.thru.value(),
            engine: EngineParams {
                temperature: self.temperature.value().clamp(0.0, 2.0),
                rhythm_temperature: self.rhythm_temperature.value().clamp(0.0, 2.0),
                lock: PitchLock::new(
                    Scale::at(self.scale.value().max(0) as usize),
                    PitchClass::of(self.root.value().clamp(0, 11) as u8),
                    self.lowest.value().clamp(0, 127) as u8,
                    self.highest.value().clamp(0, 127) as u8,
                ),
                tempo_scale: f64::from(self.tempo_scale.value()).clamp(0.25, 4.0),
                gate: f64::from(self.gate.value()).clamp(0.05, 1.0),
                velocity: self.velocity.value().clamp(1, 127) as u8,
                channel: (self.channel.value().clamp(1, 16) - 1) as u8,
                sync_to_bar: self.sync_to_bar.value(),
                listen: self.listen.value().then(|| Listening {
                    answer_after: f64::from(self.answer_after.value())
                        .clamp(Listening::MIN_AFTER, Listening::MAX_AFTER),
                    answer_length: AnswerLength::from_index(
                        self.answer_length.value().clamp(1, 255) as u8,
                    ),
                }),
            },
        }
    }

    /// The seed as the engine takes it.
    pub fn seed(&self) -> u64 {
        self.seed.value().clamp(0, 65535) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_engine_defaults() {
        let p = DeepMidiParams::new(ModelNames::default());
        let (got, want) = (p.controls().engine, EngineParams::default());
        assert!((got.gate - want.gate).abs() < 1e-6, "{got:?}");
        assert_eq!(
            EngineParams {
                gate: want.gate,
                ..got
            },
            want
        );
        assert_eq!(p.seed(), 1);
        assert!(!p.reset.value() && !p.bypass.value());
    }

    #[test]
    fn tempo_scale_is_centred_on_one() {
        let p = DeepMidiParams::new(ModelNames::default());
        assert!((p.tempo_scale.preview_normalized(1.0) - 0.5).abs() < 1e-4);
        assert!((p.tempo_scale.preview_plain(0.0) - 0.25).abs() < 1e-6);
        assert!((p.tempo_scale.preview_plain(1.0) - 4.0).abs() < 1e-5);
        assert_eq!(p.tempo_scale.to_string(), "1.00x");
        assert_eq!(p.tempo_scale.string_to_normalized_value("4x"), Some(1.0));
        assert_eq!(
            p.tempo_scale.string_to_normalized_value(" 0.25 "),
            Some(0.0)
        );
    }

    #[test]
    fn lock_parameters_show_and_read_names() {
        let p = DeepMidiParams::new(ModelNames::default());
        assert_eq!(p.controls().engine.lock, PitchLock::default());
        let text = |param: &IntParam, plain: i32| {
            param.normalized_value_to_string(param.preview_normalized(plain), false)
        };
        let plain = |param: &IntParam, s: &str| {
            param
                .string_to_normalized_value(s)
                .map(|v| param.preview_plain(v))
        };
        assert_eq!(text(&p.scale, 3), "Harmonic Minor");
        assert_eq!(plain(&p.scale, "harmonic-minor"), Some(3));
        assert_eq!(text(&p.root, 10), "A#");
        assert_eq!(plain(&p.root, "Bb"), Some(10));
        assert_eq!(text(&p.lowest, 60), "C4");
        assert_eq!(plain(&p.highest, "C#4"), Some(61));
        assert_eq!(plain(&p.highest, "H4"), None);
    }

    #[test]
    fn listen_parameters_show_and_read_text() {
        let p = DeepMidiParams::new(ModelNames::default());
        assert_eq!(p.controls().engine.listen, None);
        assert!(!p.controls().thru);
        let length = &p.answer_length;
        let text =
            |plain: i32| length.normalized_value_to_string(length.preview_normalized(plain), false);
        assert_eq!(text(1), "1 bar");
        assert_eq!(text(4), "4 bars");
        assert_eq!(text(17), "Until I play");
        let plain = |s: &str| {
            length
                .string_to_normalized_value(s)
                .map(|v| length.preview_plain(v))
        };
        assert_eq!(plain("4"), Some(4));
        assert_eq!(plain("16 bars"), Some(16));
        assert_eq!(plain("until I play again"), Some(17));
        assert_eq!(plain("17"), None);
        assert_eq!(plain("0"), None);
        let after = &p.answer_after;
        assert_eq!(after.to_string(), "2.00 beats");
        let beats = |s: &str| {
            after
                .string_to_normalized_value(s)
                .map(|v| after.preview_plain(v))
        };
        assert_eq!(beats("0.5"), Some(0.5));
        assert_eq!(beats("8 beats"), Some(8.0));
    }

    #[test]
    fn model_parameter_shows_names() {
        let p = DeepMidiParams::new(vec!["irish".to_owned(), "bach".to_owned()].into());
        assert_eq!(p.model.normalized_value_to_string(1.0, false), "bach");
        assert_eq!(p.model.string_to_normalized_value("bach"), Some(1.0));
        let single = DeepMidiParams::new(vec!["irish".to_owned()].into());
        assert_eq!(single.model.normalized_value_to_string(1.0, false), "irish");
    }
}
