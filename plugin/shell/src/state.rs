//! What a saved project stores besides the parameter values: the model's name.
//!
//! The model parameter is an index into the model list, and the list depends on what the user
//! has installed: a project saved with "my-reels" as model 3 could open with model 3 being
//! something else. So the state also stores the name of the selected model. The selection is
//! whatever happened last: the model parameter moving (its callback), or a state load naming
//! an installed model (state loads set the parameters first, then this field, so the name wins).
//! A name that is not installed, and unreadable or old state, leave the selection alone.
//! Before a state is applied, `align_model_index` also moves the saved model index to the
//! name's slot, so the Model parameter shows the model that plays.

use deepmidi_engine::catalogue::{ModelNames, SavedModel};
use nice_plug::params::persist::PersistentField;
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::nice_warn;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The model choice shared by the parameter, the audio thread and the state saver/loader.
pub struct ModelChoice {
    names: ModelNames,
    /// The list slot to play; the audio thread follows it.
    selected: Arc<AtomicUsize>,
}

impl ModelChoice {
    pub fn new(names: ModelNames) -> ModelChoice {
        ModelChoice {
            names,
            selected: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The slot to play (any thread; lock- and allocation-free).
    pub fn selected(&self) -> usize {
        self.selected.load(Ordering::Acquire)
    }

    /// For the model parameter's callback: selects its value.
    pub fn selector(&self) -> Arc<dyn Fn(i32) + Send + Sync> {
        let selected = self.selected.clone();
        Arc::new(move |index| selected.store(index.max(0) as usize, Ordering::Release))
    }
}

/// The state field the model's name is saved under (`#[persist]` in `params.rs`).
pub const MODEL_NAME_FIELD: &str = "model-name";

/// Points a loaded state's model index at the slot of its saved model name in `names`, so the
/// Model parameter shows the model that plays even when the list has changed since the save.
/// A name that is not in `names` leaves the index alone.
pub fn align_model_index(state: &mut PluginState, names: &ModelNames) {
    let saved = state.fields.get(MODEL_NAME_FIELD);
    let Some(SavedModel(Some(name))) = saved.and_then(|json| serde_json::from_str(json).ok())
    else {
        return;
    };
    if let Some(slot) = names.slot_of(&name) {
        state
            .params
            .insert("model".to_owned(), ParamValue::I32(slot as i32));
    }
}

impl<'a> PersistentField<'a, SavedModel> for ModelChoice {
    fn set(&self, saved: SavedModel) {
        let Some(name) = saved.0 else { return };
        match self.names.slot_of(&name) {
            Some(slot) => self.selected.store(slot, Ordering::Release),
            None => nice_warn!(
                "DeepMIDI: the saved model {name:?} is not installed; the model parameter decides"
            ),
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SavedModel) -> R,
    {
        f(&self.names.saved(self.selected()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice() -> ModelChoice {
        ModelChoice::new(vec!["irish".to_owned(), "bach".to_owned(), "mine".to_owned()].into())
    }

    fn load(c: &ModelChoice, json: &str) {
        let saved: SavedModel = serde_json::from_str(json).unwrap();
        c.set(saved);
    }

    fn saved(c: &ModelChoice) -> String {
        c.map(|s| serde_json::to_string(s).unwrap())
    }

    #[test]
    fn the_parameter_selects_and_the_name_is_saved() {
        let c = choice();
        assert_eq!(saved(&c), "\"irish\"");
        c.selector()(1);
        assert_eq!(c.selected(), 1);
        assert_eq!(saved(&c), "\"bach\"");
        c.selector()(7);
        assert_eq!(
            saved(&c),
            "\"mine\"",
            "out-of-range indices play the last model"
        );
    }

    #[test]
    fn a_loaded_name_overrides_the_loaded_index() {
        let c = choice();
        c.selector()(0);
        load(&c, "\"mine\"");
        assert_eq!(c.selected(), 2);
        c.selector()(1);
        assert_eq!(c.selected(), 1, "moving the parameter later selects again");
    }

    #[test]
    fn unknown_or_corrupt_values_change_nothing() {
        let c = choice();
        c.selector()(1);
        for json in ["\"gone\"", "null", "42", "{\"a\": [1, 2]}", "[\"irish\"]"] {
            load(&c, json);
            assert_eq!(c.selected(), 1, "{json}");
        }
    }

    #[test]
    fn the_index_follows_the_saved_name() {
        use crate::DeepMidiParams;
        use nice_plug::params::Params;
        let list: Vec<String> = ["irish", "bach", "mine"].map(str::to_owned).into();
        let names = ModelNames::from(list.clone());
        let params = DeepMidiParams::new(names.clone());
        params.model_choice.selector()(2);
        let mut state = PluginState {
            version: String::new(),
            params: [("model".to_owned(), ParamValue::I32(0))].into(),
            fields: params.serialize_fields(),
        };
        align_model_index(&mut state, &names);
        assert!(matches!(state.params["model"], ParamValue::I32(2)));
        // The list changed since: "mine" moved, "gone" is not there.
        align_model_index(&mut state, &ModelNames::from(list[1..].to_vec()));
        assert!(matches!(state.params["model"], ParamValue::I32(1)));
        state
            .fields
            .insert(MODEL_NAME_FIELD.to_owned(), "\"gone\"".to_owned());
        align_model_index(&mut state, &names);
        assert!(matches!(state.params["model"], ParamValue::I32(1)));
    }

    #[test]
    fn an_empty_list_saves_no_name() {
        let c = ModelChoice::new(Vec::<String>::new().into());
        assert_eq!(saved(&c), "null");
    }
}
