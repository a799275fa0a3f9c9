//! What a saved project stores besides the parameter values: the model's name.
//!
//! The model parameter is an index into the model list, and the list depends on what the user
//! has installed: a project saved with "my-reels" as model 3 could open with model 3 being
//! something else. So the state also stores the name of the selected model, and before a
//! state is applied `align_model_index` moves the saved model index to that name's slot in
//! today's list (state loads always pass through the plugin's `filter_state`). The Model
//! parameter is then the one record of which model plays: the audio plays it, the window
//! shows it, the saved name is its model's. A name that is not installed, and unreadable or
//! old state, leave the saved index as it is.

use deepmidi_engine::catalogue::{ModelNames, SavedModel};
use nice_plug::params::persist::PersistentField;
use nice_plug::plugin::{ParamValue, PluginState};
use nice_plug::prelude::{nice_warn, IntParam};
use std::sync::Arc;

/// The persisted name of the model the Model parameter selects.
pub struct ModelName {
    names: ModelNames,
    /// The Model parameter itself (shared with `DeepMidiParams::model`), not a copy of it.
    model: Arc<IntParam>,
}

impl ModelName {
    pub fn new(names: ModelNames, model: Arc<IntParam>) -> ModelName {
        ModelName { names, model }
    }

    /// How many models the list has.
    pub fn models(&self) -> usize {
        self.names.len()
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

impl<'a> PersistentField<'a, SavedModel> for ModelName {
    /// The index already follows the name (`align_model_index`); a name that is not installed
    /// is worth a word in the log.
    fn set(&self, saved: SavedModel) {
        if let Some(name) = saved.0.filter(|name| self.names.slot_of(name).is_none()) {
            nice_warn!(
                "DeepMIDI: the saved model {name:?} is not installed; the model parameter decides"
            );
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&SavedModel) -> R,
    {
        f(&self.names.saved(self.model.value().max(0) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeepMidiParams;
    use nice_plug::params::Params;
    use nice_plug::prelude::Param;

    fn params() -> DeepMidiParams {
        DeepMidiParams::new(vec!["irish".to_owned(), "bach".to_owned(), "mine".to_owned()].into())
    }

    /// Moves the Model parameter as a host does.
    fn select(params: &DeepMidiParams, slot: i32) {
        let normalized = params.model.preview_normalized(slot);
        // SAFETY: the pointer is to `params`' own live parameter, as a host's would be.
        unsafe {
            params
                .model
                .as_ptr()
                ._internal_set_normalized_value(normalized)
        };
    }

    fn load(params: &DeepMidiParams, json: &str) {
        let saved: SavedModel = serde_json::from_str(json).unwrap();
        params.model_name.set(saved);
    }

    fn saved(params: &DeepMidiParams) -> String {
        params.model_name.map(|s| serde_json::to_string(s).unwrap())
    }

    #[test]
    fn the_saved_name_is_the_parameters_model() {
        let p = params();
        assert_eq!(saved(&p), "\"irish\"");
        select(&p, 1);
        assert_eq!(p.model_slot(), 1);
        assert_eq!(
            p.controls().slot,
            1,
            "the audio plays the parameter's model"
        );
        assert_eq!(saved(&p), "\"bach\"");
        let single = DeepMidiParams::new(vec!["irish".to_owned()].into());
        select(&single, 1);
        assert_eq!(
            single.model_slot(),
            0,
            "indices past the end play the last model"
        );
        assert_eq!(saved(&single), "\"irish\"");
    }

    #[test]
    fn loading_the_name_field_selects_nothing_by_itself() {
        let p = params();
        select(&p, 1);
        for json in [
            "\"mine\"",
            "\"gone\"",
            "null",
            "42",
            "{\"a\": [1, 2]}",
            "[\"irish\"]",
        ] {
            load(&p, json);
            assert_eq!((p.model.value(), p.model_slot()), (1, 1), "{json}");
            assert_eq!(saved(&p), "\"bach\"", "{json}");
        }
    }

    #[test]
    fn the_index_follows_the_saved_name() {
        let list: Vec<String> = ["irish", "bach", "mine"].map(str::to_owned).into();
        let names = ModelNames::from(list.clone());
        let params = DeepMidiParams::new(names.clone());
        select(&params, 2);
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
        let p = DeepMidiParams::new(Vec::<String>::new().into());
        assert_eq!(saved(&p), "null");
        assert_eq!(p.model_slot(), 0);
    }
}
