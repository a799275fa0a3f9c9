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
use nice_plug::plugin::ParamValue;
use nice_plug::prelude::*;

/// Which parameters of `state` were repaired (by id). An empty list means the state was
/// complete and in range.
pub fn repair_state(state: &mut PluginState) -> Vec<&'static str> {
    let defaults = DeepMidiParams::default();
    let mut repaired = Vec::new();
    for (id, check) in checks(&defaults) {
        let usable = state.params.get(id).is_some_and(|v| check.accepts(v));
        if !usable {
            state.params.insert(id.to_owned(), check.default_value());
            repaired.push(id);
        }
    }
    repaired
}

/// The persisted ids of `DeepMidiParams` (the `#[id]` attributes), each with its check.
fn checks(p: &DeepMidiParams) -> [(&'static str, Check<'_>); 10] {
    [
        ("temp", Check::Float(&p.temperature)),
        ("tscale", Check::Float(&p.tempo_scale)),
        ("gate", Check::Float(&p.gate)),
        ("vel", Check::Int(&p.velocity)),
        ("chan", Check::Int(&p.channel)),
        ("seed", Check::Int(&p.seed)),
        // The model list, and so the model range, depends on what is installed: any index
        // counts, as indices past the end play the last model.
        ("model", Check::Index(&p.model)),
        ("sync", Check::Bool(&p.sync_to_bar)),
        ("reset", Check::Bool(&p.reset)),
        ("bypass", Check::Bool(&p.bypass)),
    ]
}

enum Check<'a> {
    Float(&'a FloatParam),
    Int(&'a IntParam),
    Index(&'a IntParam),
    Bool(&'a BoolParam),
}

impl Check<'_> {
    fn accepts(&self, value: &ParamValue) -> bool {
        match (self, value) {
            (Check::Float(p), ParamValue::F32(v)) => {
                // The ends as the parameter maps them; a little slack for a skewed range's
                // rounding.
                let (min, max) = (p.preview_plain(0.0), p.preview_plain(1.0));
                let slack = 1e-5 * (max - min);
                v.is_finite() && *v >= min - slack && *v <= max + slack
            }
            (Check::Int(p), ParamValue::I32(v)) => {
                (p.preview_plain(0.0)..=p.preview_plain(1.0)).contains(v)
            }
            (Check::Index(_), ParamValue::I32(v)) => *v >= 0,
            (Check::Bool(_), ParamValue::Bool(_)) => true,
            _ => false,
        }
    }

    fn default_value(&self) -> ParamValue {
        match self {
            Check::Float(p) => ParamValue::F32(p.default_plain_value()),
            Check::Int(p) | Check::Index(p) => ParamValue::I32(p.default_plain_value()),
            Check::Bool(p) => ParamValue::Bool(p.default_plain_value()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

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
    fn every_parameter_is_checked() {
        let p = DeepMidiParams::default();
        let ids: BTreeSet<String> = p.param_map().into_iter().map(|(id, ..)| id).collect();
        let checked: BTreeSet<String> = checks(&p).iter().map(|(id, _)| id.to_string()).collect();
        assert_eq!(ids, checked);
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
        assert_eq!(repair_state(&mut state), Vec::<&str>::new());
        assert_eq!(json(&state.params), before);
    }

    #[test]
    fn missing_mistyped_and_out_of_range_values_become_defaults() {
        let defaults = saved(&DeepMidiParams::default()).params;
        let mut state = saved(&DeepMidiParams::default());
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
            ["temp", "tscale", "gate", "vel", "chan", "seed", "model", "sync"]
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
