//! The plugin's parameters, each built from its entry in the engine's control table
//! (`deepmidi_engine::controls`). The ids are stable: renaming a parameter keeps old projects
//! and automation working, changing an id does not. The `#[id]`s below must be the table's
//! (a test checks).

use super::state::ModelName;
use deepmidi_engine::catalogue::ModelNames;
use deepmidi_engine::controls::{self, BoolControl, FloatControl, IntControl};
use deepmidi_engine::harmony::{PitchClass, PitchLock, Scale};
use deepmidi_engine::player::PlayerControls;
use deepmidi_engine::realtime::EngineParams;
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
    /// Index into the model list; shows the model's name. The one record of which model
    /// plays: the audio, the window and the saved name all read it.
    #[id = "model"]
    pub model: Arc<IntParam>,
    /// Momentary: switching it on restarts the generator (fresh state, the seed's streams).
    #[id = "reset"]
    pub reset: BoolParam,
    #[id = "bypass"]
    pub bypass: BoolParam,
    /// The selected model's name, saved as `state::MODEL_NAME_FIELD`.
    #[persist = "model-name"]
    pub model_name: ModelName,
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

/// A number parameter as `control` declares it.
fn float(control: FloatControl) -> FloatParam {
    let (min, max) = (control.min as f32, control.max as f32);
    let range = match control.skew_factor() {
        Some(factor) => FloatRange::Skewed {
            min,
            max,
            factor: factor as f32,
        },
        None => FloatRange::Linear { min, max },
    };
    let param = FloatParam::new(control.name, control.default as f32, range)
        .with_value_to_string(Arc::new(move |v| control.format(f64::from(v))))
        .with_string_to_value(Arc::new(move |s| control.parse(s).map(|v| v as f32)));
    match control.step {
        Some(step) => param.with_step_size(step as f32),
        None => param,
    }
}

/// A whole-number parameter as `control` declares it.
fn int(control: IntControl) -> IntParam {
    let range = IntRange::Linear {
        min: control.min,
        max: control.max,
    };
    IntParam::new(control.name, control.default, range)
        .with_value_to_string(Arc::new(move |v| control.format(v)))
        .with_string_to_value(Arc::new(move |s| control.parse(s)))
}

fn bool(control: BoolControl) -> BoolParam {
    BoolParam::new(control.name, control.default)
}

impl DeepMidiParams {
    /// `names` is the model list's (may be empty).
    pub fn new(names: ModelNames) -> DeepMidiParams {
        let (shown, parsed) = (names.clone(), names.clone());
        let model_range = IntRange::Linear {
            min: 0,
            max: controls::MODEL.max(names.len()),
        };
        let model = Arc::new(
            IntParam::new(controls::MODEL.name, controls::MODEL.default, model_range)
                .with_value_to_string(Arc::new(move |i| shown.shown(i)))
                .with_string_to_value(Arc::new(move |s| parsed.parse(s))),
        );
        DeepMidiParams {
            temperature: float(controls::TEMPERATURE),
            rhythm_temperature: float(controls::RHYTHM_TEMPERATURE),
            scale: int(controls::SCALE),
            root: int(controls::ROOT),
            lowest: int(controls::LOWEST),
            highest: int(controls::HIGHEST),
            tempo_scale: float(controls::TEMPO_SCALE),
            gate: float(controls::GATE),
            velocity: int(controls::VELOCITY),
            channel: int(controls::CHANNEL),
            seed: int(controls::SEED),
            sync_to_bar: bool(controls::SYNC_TO_BAR),
            listen: bool(controls::LISTEN),
            answer_after: float(controls::ANSWER_AFTER),
            answer_length: int(controls::ANSWER_LENGTH),
            thru: bool(controls::THRU),
            model_name: ModelName::new(names, model.clone()),
            model,
            reset: bool(controls::RESET),
            bypass: bool(controls::BYPASS).make_bypass(),
            editor_size: RwLock::new(WindowSize::DEFAULT),
        }
    }

    /// The player's controls from the current values, each clamped as its control declares.
    pub fn controls(&self) -> PlayerControls {
        let int = |param: &IntParam, control: IntControl| control.clamp(param.value());
        let float =
            |param: &FloatParam, control: FloatControl| control.clamp(f64::from(param.value()));
        PlayerControls {
            slot: self.model_slot(),
            seed: self.seed(),
            reset: self.reset.value(),
            bypass: self.bypass.value(),
            thru: self.thru.value(),
            engine: EngineParams {
                temperature: float(&self.temperature, controls::TEMPERATURE) as f32,
                rhythm_temperature: float(&self.rhythm_temperature, controls::RHYTHM_TEMPERATURE)
                    as f32,
                lock: PitchLock::new(
                    Scale::at(int(&self.scale, controls::SCALE) as usize),
                    PitchClass::of(int(&self.root, controls::ROOT) as u8),
                    int(&self.lowest, controls::LOWEST) as u8,
                    int(&self.highest, controls::HIGHEST) as u8,
                ),
                tempo_scale: float(&self.tempo_scale, controls::TEMPO_SCALE),
                gate: float(&self.gate, controls::GATE),
                velocity: int(&self.velocity, controls::VELOCITY) as u8,
                channel: (int(&self.channel, controls::CHANNEL) - 1) as u8,
                sync_to_bar: self.sync_to_bar.value(),
                listen: self.listen.value().then(|| {
                    controls::listening(
                        f64::from(self.answer_after.value()),
                        self.answer_length.value(),
                    )
                }),
            },
        }
    }

    /// The model list slot that plays, and that the window shows: the Model parameter's.
    pub fn model_slot(&self) -> usize {
        controls::MODEL.slot(self.model.value(), self.model_name.models())
    }

    /// The seed as the engine takes it.
    pub fn seed(&self) -> u64 {
        controls::SEED.clamp(self.seed.value()) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepmidi_engine::controls::Control;
    use deepmidi_engine::realtime::Listening;
    use nice_plug::params::internals::ParamPtr;

    /// `a` and `b` are the same settings, up to the `f32` a parameter holds them in.
    fn assert_same(a: EngineParams, b: EngineParams) {
        let close = |x: f64, y: f64| (x - y).abs() <= 1e-6 * y.abs().max(1.0);
        assert!(
            close(a.gate, b.gate) && close(a.tempo_scale, b.tempo_scale),
            "{a:?}\n{b:?}"
        );
        let after = |p: EngineParams| p.listen.map_or(0.0, |l| l.answer_after);
        assert!(close(after(a), after(b)), "{a:?}\n{b:?}");
        let listen = |p: EngineParams| {
            p.listen.map(|l| Listening {
                answer_after: 0.0,
                ..l
            })
        };
        let exact = |p: EngineParams| EngineParams {
            gate: 0.0,
            tempo_scale: 0.0,
            listen: listen(p),
            ..p
        };
        assert_eq!(exact(a), exact(b));
    }

    #[test]
    fn defaults_match_the_engine_defaults() {
        let p = DeepMidiParams::new(ModelNames::default());
        assert_same(p.controls().engine, EngineParams::default());
        assert_eq!(p.seed(), controls::SEED.default as u64);
        assert!(!p.reset.value() && !p.bypass.value());
    }

    /// Values around and far outside every range, and some that are no number.
    const SWEEP: [f64; 12] = [
        f64::NEG_INFINITY,
        -1e9,
        -1.0,
        0.0,
        0.04,
        0.2,
        1.0,
        2.01,
        4.5,
        128.0,
        1e9,
        f64::INFINITY,
    ];

    /// Every parameter is its table entry: the same id, name, range, default and text both
    /// ways, and it holds a value outside its range where the table's clamp does.
    #[test]
    fn every_parameter_is_its_control() {
        let names: ModelNames =
            vec!["irish".to_owned(), "bach".to_owned(), "mine".to_owned()].into();
        let p = DeepMidiParams::new(names.clone());
        let params = p.param_map();
        let ids: Vec<&str> = params.iter().map(|(id, _, _)| id.as_str()).collect();
        let table: Vec<&str> = controls::ALL.iter().map(|c| c.id()).collect();
        assert_eq!(
            ids, table,
            "the parameters and the table list different controls"
        );
        for (control, (_, ptr, _)) in controls::ALL.into_iter().zip(params) {
            // SAFETY: `param_map` points into `p`, which outlives the loop.
            unsafe {
                assert_eq!(ptr.name(), control.name());
                match (control, ptr) {
                    (Control::Float(c), ParamPtr::FloatParam(param)) => float_agrees(c, &*param),
                    (Control::Int(c), ParamPtr::IntParam(param)) => int_agrees(c, &*param),
                    (Control::Bool(c), ParamPtr::BoolParam(param)) => {
                        assert_eq!((*param).default_plain_value(), c.default, "{c:?}")
                    }
                    (Control::Model(c), ParamPtr::IntParam(param)) => {
                        let param = &*param;
                        assert_eq!(param.default_plain_value(), c.default);
                        assert_eq!(param.preview_plain(1.0), c.max(names.len()));
                    }
                    (control, ptr) => panic!("{control:?} is a {ptr:?}"),
                }
            }
        }
    }

    fn float_agrees(c: FloatControl, param: &FloatParam) {
        assert_eq!(param.default_plain_value(), c.default as f32, "{c:?}");
        let plain = |v: f64| param.preview_plain(param.preview_normalized(v as f32));
        let close = |a: f32, b: f64| (f64::from(a) - b).abs() < 1e-5 * b.abs().max(1.0);
        assert!(close(param.preview_plain(0.0), c.min), "{c:?}");
        assert!(close(param.preview_plain(1.0), c.max), "{c:?}");
        // The knob also snaps to its step, inside the range.
        let snap = |v: f64| c.step.map_or(v, |step| (v / step).round() * step);
        for v in SWEEP {
            assert!(
                close(plain(v), snap(c.clamp(v))),
                "{c:?} at {v}: {}",
                plain(v)
            );
        }
        for k in 0..=20 {
            let v = c.min + (c.max - c.min) * f64::from(k) / 20.0;
            let normalized = param.preview_normalized(v as f32);
            let text = param.normalized_value_to_string(normalized, true);
            assert_eq!(text, c.format(f64::from(param.preview_plain(normalized))));
            let read = param
                .string_to_normalized_value(&text)
                .map(|n| param.preview_plain(n));
            let want = c
                .parse(&text)
                .map(|t| param.preview_plain(param.preview_normalized(t as f32)));
            assert_eq!(read, want, "{c:?} reading {text:?}");
        }
    }

    fn int_agrees(c: IntControl, param: &IntParam) {
        assert_eq!(param.default_plain_value(), c.default, "{c:?}");
        assert_eq!(
            (param.preview_plain(0.0), param.preview_plain(1.0)),
            (c.min, c.max),
            "{c:?}"
        );
        // nice-plug's integer ranges overflow near i32's ends; hosts send normalized values.
        for v in SWEEP.map(|v| v.clamp(-1e6, 1e6) as i32) {
            assert_eq!(
                param.preview_plain(param.preview_normalized(v)),
                c.clamp(v),
                "{c:?} at {v}"
            );
        }
        let step = ((c.max - c.min) / 300).max(1) as usize;
        for v in (c.min..=c.max).step_by(step) {
            let text = param.normalized_value_to_string(param.preview_normalized(v), true);
            assert_eq!(text, c.format(v), "{c:?}");
            let read = param
                .string_to_normalized_value(&text)
                .map(|n| param.preview_plain(n));
            assert_eq!(read, Some(v), "{c:?} reading {text:?}");
        }
    }

    /// What the player gets is what each control's clamp makes of the parameter's value.
    #[test]
    fn the_players_controls_are_the_tables_clamps() {
        let p = DeepMidiParams::new(ModelNames::default());
        let set = |param: ParamPtr, normalized: f32| {
            // SAFETY: the pointer is to `p`'s own live parameter, as a host's would be.
            unsafe { param._internal_set_normalized_value(normalized) };
        };
        for normalized in [0.0, 1.0] {
            for (_, ptr, _) in p.param_map() {
                set(ptr, normalized);
            }
            let engine = p.controls().engine;
            let end = |c: FloatControl| if normalized == 0.0 { c.min } else { c.max };
            let int_end = |c: IntControl| if normalized == 0.0 { c.min } else { c.max };
            assert_eq!(engine.temperature, end(controls::TEMPERATURE) as f32);
            assert_eq!(engine.gate as f32, end(controls::GATE) as f32);
            assert_eq!(engine.tempo_scale as f32, end(controls::TEMPO_SCALE) as f32);
            assert_eq!(i32::from(engine.velocity), int_end(controls::VELOCITY));
            assert_eq!(i32::from(engine.channel) + 1, int_end(controls::CHANNEL));
            assert_eq!(
                engine.lock.range(),
                (
                    int_end(controls::LOWEST) as u8,
                    int_end(controls::HIGHEST) as u8
                )
            );
            let after = engine.listen.map(|listening| listening.answer_after as f32);
            let on = normalized == 1.0;
            assert_eq!(
                after,
                on.then(|| end(controls::ANSWER_AFTER) as f32),
                "Listen is on at its top"
            );
            assert_eq!(p.seed(), int_end(controls::SEED) as u64);
        }
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
