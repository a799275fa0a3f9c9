//! Checks a loaded state's parameter values before nice-plug applies them.
//!
//! nice-plug applies a saved plain value as it is: a temperature of 1e30 or a channel of 99
//! from a damaged or hand-edited project would sit in the parameter, out of its range. A value
//! of the wrong type is skipped, and the parameter keeps whatever the instance had before,
//! not what the project meant. Here every parameter whose saved value is missing, of the wrong
//! type or out of range is given its default instead. A project then opens with the values it
//! saved where they are usable and defaults elsewhere, whatever state the instance had.
//! Unknown ids are left alone: nice-plug skips them.

use super::params::DeepMidiParams;
use deepmidi_engine::catalogue::ModelNames;
use deepmidi_engine::controls;
use nice_plug::params::internals::ParamPtr;
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// Brings a state saved by an older DeepMIDI up to date. Before Rhythm Temperature, the one
/// Temperature shaped pitch and rhythm alike: such a project gets its rhythm temperature from
/// it, so it plays exactly what it played (with the default Temperature, that is the default).
/// Parameters newer than the state are otherwise left to [`repair_state`]'s defaults.
pub fn migrate_state(state: &mut PluginState) {
    if !state.params.contains_key(RHYTHM_TEMPERATURE) {
        if let Some(ParamValue::F32(t)) = state.params.get(TEMPERATURE) {
            let t = *t;
            state
                .params
                .insert(RHYTHM_TEMPERATURE.to_owned(), ParamValue::F32(t));
        }
    }
}

/// The ids `migrate_state` reads.
const TEMPERATURE: &str = controls::TEMPERATURE.id;
const RHYTHM_TEMPERATURE: &str = controls::RHYTHM_TEMPERATURE.id;

/// Which parameters of `state` were repaired (by id). An empty list means the state was
/// complete and in range. The ids and ranges come from the parameters themselves.
pub fn repair_state(state: &mut PluginState) -> Vec<String> {
    let defaults = DeepMidiParams::new(ModelNames::default());
    let mut repaired = Vec::new();
    for (id, ptr, _) in defaults.param_map() {
        // The model list, and so the model range, depends on what is installed: any index
        // counts, as indices past the end play the last model.
        let any_index = matches!(ptr, ParamPtr::IntParam(p) if std::ptr::eq(p, &*defaults.model));
        // SAFETY: `param_map` points into `defaults`, which outlives this loop.
        let (accepts, default) = unsafe { check(ptr, any_index) };
        if !state.params.get(&id).is_some_and(accepts) {
            state.params.insert(id.clone(), default);
            repaired.push(id);
        }
    }
    repaired
}

/// Which saved values a parameter takes, and its default.
///
/// # Safety
/// `ptr` must point to a live parameter.
unsafe fn check(ptr: ParamPtr, any_index: bool) -> (impl Fn(&ParamValue) -> bool, ParamValue) {
    // The ends as the parameter maps them; a little slack for a skewed range's rounding.
    let (min, max) = (ptr.preview_plain(0.0), ptr.preview_plain(1.0));
    let slack = 1e-5 * (max - min);
    let default = match ptr {
        ParamPtr::FloatParam(p) => ParamValue::F32((*p).default_plain_value()),
        ParamPtr::IntParam(p) => ParamValue::I32((*p).default_plain_value()),
        ParamPtr::BoolParam(p) => ParamValue::Bool((*p).default_plain_value()),
        ParamPtr::EnumParam(_) => ParamValue::I32(ptr.default_plain_value() as i32),
    };
    let kind = std::mem::discriminant(&default);
    let accepts = move |value: &ParamValue| {
        std::mem::discriminant(value) == kind
            && match *value {
                ParamValue::F32(v) => v.is_finite() && v >= min - slack && v <= max + slack,
                ParamValue::I32(v) if any_index => v >= 0,
                ParamValue::I32(v) => (min as i32..=max as i32).contains(&v),
                _ => true,
            }
    };
    (accepts, default)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ParamValue` has no `PartialEq`; its JSON form does.
    fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap()
    }

    fn saved(params: &DeepMidiParams) -> PluginState {
        PluginState {
            version: "0.1.0".to_owned(),
            params: params
                .param_map()
                .into_iter()
                .map(|(id, ptr, _)| {
                    // SAFETY: `params` outlives this call.
                    let plain = unsafe { ptr.unmodulated_plain_value() };
                    let value = match ptr {
                        ParamPtr::FloatParam(_) => ParamValue::F32(plain),
                        ParamPtr::BoolParam(_) => ParamValue::Bool(plain > 0.5),
                        _ => ParamValue::I32(plain.round() as i32),
                    };
                    (id, value)
                })
                .collect(),
            fields: Default::default(),
        }
    }

    #[test]
    fn a_saved_state_passes_unchanged() {
        let p = DeepMidiParams::new(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()].into());
        let mut state = saved(&p);
        // The ends of each range, and a model index past the default list's range.
        for (id, v) in [
            ("temp", ParamValue::F32(2.0)),
            ("tscale", ParamValue::F32(4.0)),
            ("gate", ParamValue::F32(0.05)),
            ("vel", ParamValue::I32(127)),
            ("chan", ParamValue::I32(16)),
            ("seed", ParamValue::I32(65535)),
            ("model", ParamValue::I32(2)),
        ] {
            state.params.insert(id.to_owned(), v);
        }
        let before = json(&state.params);
        assert_eq!(repair_state(&mut state), Vec::<String>::new());
        assert_eq!(json(&state.params), before);
    }

    /// A project saved before the key lock and Rhythm Temperature: the ids it had then.
    fn old_state(temperature: Option<f32>) -> PluginState {
        let mut state = saved(&DeepMidiParams::new(ModelNames::default()));
        for id in ["rtemp", "scale", "root", "lownote", "highnote"] {
            state.params.remove(id).expect("a current id");
        }
        match temperature {
            Some(t) => state.params.insert("temp".to_owned(), ParamValue::F32(t)),
            None => state.params.remove("temp"),
        };
        state
    }

    #[test]
    fn an_old_project_loads_with_its_rhythm_as_it_played() {
        let defaults = saved(&DeepMidiParams::new(ModelNames::default())).params;
        for (temperature, rhythm) in [(Some(1.3), 1.3), (None, 0.8), (Some(f32::NAN), 0.8)] {
            let mut state = old_state(temperature);
            migrate_state(&mut state);
            let repaired = repair_state(&mut state);
            assert_eq!(json(&state.params["rtemp"]), json(&ParamValue::F32(rhythm)));
            // The lock is off: the key parameters load at their defaults.
            for id in ["scale", "root", "lownote", "highnote"] {
                assert!(repaired.contains(&id.to_owned()), "{id}");
                assert_eq!(json(&state.params[id]), json(&defaults[id]), "{id}");
            }
        }
        // A current state keeps its own rhythm temperature.
        let mut state = saved(&DeepMidiParams::new(ModelNames::default()));
        state
            .params
            .insert("rtemp".to_owned(), ParamValue::F32(0.0));
        migrate_state(&mut state);
        assert_eq!(json(&state.params["rtemp"]), json(&ParamValue::F32(0.0)));
    }

    #[test]
    fn missing_mistyped_and_out_of_range_values_become_defaults() {
        let defaults = saved(&DeepMidiParams::new(ModelNames::default())).params;
        let mut state = saved(&DeepMidiParams::new(ModelNames::default()));
        state.params.remove("gate");
        for (id, v) in [
            ("temp", ParamValue::F32(1e30)),
            ("tscale", ParamValue::F32(f32::NAN)),
            ("vel", ParamValue::Bool(true)),
            ("chan", ParamValue::I32(99)),
            ("seed", ParamValue::I32(-1)),
            ("model", ParamValue::I32(-3)),
            ("sync", ParamValue::String("on".to_owned())),
        ] {
            state.params.insert(id.to_owned(), v);
        }
        state
            .params
            .insert("from-the-future".to_owned(), ParamValue::I32(5));
        let repaired = repair_state(&mut state);
        assert_eq!(
            repaired,
            ["temp", "tscale", "gate", "vel", "chan", "seed", "sync", "model"]
        );
        for (id, v) in &defaults {
            assert_eq!(json(&state.params.get(id)), json(&Some(v)), "{id}");
        }
        assert_eq!(
            json(&state.params["from-the-future"]),
            json(&ParamValue::I32(5))
        );
    }
}
