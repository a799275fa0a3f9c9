//! The model list a plugin offers: the built-in model sets embedded in its binary (the
//! plugin crate's build script embeds the workspace's `models/` folder), then every subfolder
//! of the user's model folder (`$XDG_DATA_HOME/deepmidi/models`, or
//! `~/.local/share/deepmidi/models`) that holds a `model.json`.
//!
//! Listing is cheap (it reads one folder) and happens when the plugin is created, since the
//! model parameter's range depends on it; loading is expensive and happens on activation.
//! A model that fails to load is reported with the file named, and its slot plays the first
//! built-in model that loaded instead. Each model's card ([`ModelCard`]) tells a window
//! about it from its files, without building an engine.

mod card;

pub use card::{model_cards, ModelCard};

use crate::model::{load_model_set, ModelError, ModelSet, StreamKind};
use crate::realtime::Engine;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A model set compiled into the plugin.
#[derive(Debug, PartialEq)]
pub struct BuiltinModel {
    /// The folder name under `models/`, shown in the model list.
    pub name: &'static str,
    pub meta: &'static [u8],
    /// Every weights file of the folder: (file name, bytes). Each stream finds its own by
    /// [`crate::model::StreamKind::file_name`], so the build script lists no streams.
    pub weights: &'static [(&'static str, &'static [u8])],
    /// `deepmidi eval`'s report, when the model folder has one: for its card.
    pub eval: Option<&'static [u8]>,
}

impl BuiltinModel {
    fn weights_file(&self, kind: StreamKind, origin: &Path) -> Result<&'static [u8], ModelError> {
        self.weights
            .iter()
            .find(|(name, _)| *name == kind.file_name())
            .map(|(_, bytes)| *bytes)
            .ok_or_else(|| ModelError::new(origin.join(kind.file_name()), "not built in"))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ModelSource {
    /// A built-in model.
    Builtin(&'static BuiltinModel),
    /// A model set folder.
    Folder(PathBuf),
}

/// One entry of the model list.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelEntry {
    /// Unique in the list; what the model parameter shows and what a saved project stores.
    pub name: String,
    pub source: ModelSource,
}

impl ModelEntry {
    pub fn is_builtin(&self) -> bool {
        matches!(self.source, ModelSource::Builtin(_))
    }

    /// Reads and checks the model set (allocates, reads files: not on the audio thread).
    pub fn load(&self) -> Result<ModelSet, ModelError> {
        match &self.source {
            ModelSource::Builtin(b) => {
                let origin = PathBuf::from(format!("built-in:{}", b.name));
                ModelSet::from_bytes(&origin, b.meta, |kind| b.weights_file(kind, &origin))
            }
            ModelSource::Folder(dir) => load_model_set(dir),
        }
    }
}

/// `deepmidi/models` in the user's data folder: `$XDG_DATA_HOME`, or `~/.local/share` when
/// that is unset or relative (as the XDG spec says), found by the `directories` crate.
pub fn user_models_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|dirs| dirs.data_dir().join("deepmidi").join("models"))
}

/// The user's model folder exists but cannot be listed.
#[derive(Debug, thiserror::Error)]
#[error("cannot list user models in {}: {source}", path.display())]
pub struct UnreadableFolder {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The built-in models, then the user's model folders (sorted by name). A user folder that
/// cannot be read is returned too, for the caller to log.
pub fn list_models(
    builtin: &'static [BuiltinModel],
) -> (Vec<ModelEntry>, Option<UnreadableFolder>) {
    list_models_from(builtin, user_models_dir().as_deref())
}

fn list_models_from(
    builtin: &'static [BuiltinModel],
    user_dir: Option<&Path>,
) -> (Vec<ModelEntry>, Option<UnreadableFolder>) {
    let mut entries: Vec<ModelEntry> = builtin
        .iter()
        .map(|b| ModelEntry {
            name: b.name.to_owned(),
            source: ModelSource::Builtin(b),
        })
        .collect();
    let (mut folders, problem) = match user_dir.map(user_model_folders) {
        Some(Ok(folders)) => (folders, None),
        Some(Err(problem)) => (Vec::new(), Some(problem)),
        None => (Vec::new(), None),
    };
    folders.sort();
    for dir in folders {
        let base = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut name = base.clone();
        // A user folder named like a built-in model (or like another entry) gets a suffix.
        let mut n = 1;
        while entries.iter().any(|e| e.name == name) {
            name = if n == 1 {
                format!("{base} (user)")
            } else {
                format!("{base} (user {n})")
            };
            n += 1;
        }
        entries.push(ModelEntry {
            name,
            source: ModelSource::Folder(dir),
        });
    }
    (entries, problem)
}

fn user_model_folders(dir: &Path) -> Result<Vec<PathBuf>, UnreadableFolder> {
    match std::fs::read_dir(dir) {
        Ok(read) => Ok(read
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.join("model.json").is_file())
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(UnreadableFolder {
            path: dir.to_path_buf(),
            source,
        }),
    }
}

/// The model list's names: what a model parameter shows, what it parses, and what a saved
/// project stores (the name, since the list depends on what the user has installed).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelNames(Arc<[String]>);

impl From<Vec<String>> for ModelNames {
    fn from(names: Vec<String>) -> ModelNames {
        ModelNames(names.into())
    }
}

impl ModelNames {
    pub fn new(entries: &[ModelEntry]) -> ModelNames {
        ModelNames(entries.iter().map(|m| m.name.clone()).collect())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The name shown for slot `slot`: slots past the end play the last model.
    pub fn shown(&self, slot: i32) -> String {
        match self.0.len() {
            0 => "(no model)".to_owned(),
            n => self.0[(slot.max(0) as usize).min(n - 1)].clone(),
        }
    }

    /// The slot a text names: a model's name, or a slot number.
    pub fn parse(&self, text: &str) -> Option<i32> {
        let text = text.trim();
        match self.slot_of(text) {
            Some(slot) => Some(slot as i32),
            None => text.parse().ok(),
        }
    }

    /// The slot of an installed model's name.
    pub fn slot_of(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|n| n == name)
    }

    /// What a project saves for slot `slot`.
    pub fn saved(&self, slot: usize) -> SavedModel {
        let last = self.0.len().checked_sub(1);
        SavedModel(last.map(|last| self.0[slot.min(last)].clone()))
    }
}

/// The model a project saved, by name, or nothing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct SavedModel(pub Option<String>);

impl<'de> Deserialize<'de> for SavedModel {
    /// Accepts anything: a string is a model name, any other value reads as no name, so an
    /// old or damaged project still opens.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Name(String),
            Other(serde::de::IgnoredAny),
        }
        Ok(SavedModel(match Raw::deserialize(d)? {
            Raw::Name(n) => Some(n),
            Raw::Other(_) => None,
        }))
    }
}

/// One engine per model that loaded, and which engine each list slot plays.
pub struct LoadedModels {
    pub engines: Vec<Engine>,
    /// `slot_engine[slot]` indexes `engines`; same length as the model list.
    pub slot_engine: Vec<usize>,
}

impl LoadedModels {
    /// Loads every model in the list and builds its engine. Failures are reported in `log`
    /// with the file named; their slots fall back to the first built-in model that loaded
    /// (or, with no built-in model at all, the first model that loaded). `None` when nothing
    /// loaded.
    pub fn load(
        entries: &[ModelEntry],
        sample_rate: f64,
        seed: u64,
        log: &mut impl FnMut(String),
    ) -> Option<LoadedModels> {
        let mut engines = Vec::new();
        let mut slots: Vec<Option<usize>> = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry
                .load()
                .and_then(|set| Engine::new(&set, sample_rate, seed))
            {
                Ok(engine) => {
                    slots.push(Some(engines.len()));
                    engines.push(engine);
                }
                Err(e) => {
                    log(format!(
                        "DeepMIDI: model {:?} failed to load: {e}",
                        entry.name
                    ));
                    slots.push(None);
                }
            }
        }
        // The first built-in model that loaded, else the first model that loaded.
        let fallback_slot = (0..entries.len())
            .filter(|&i| slots[i].is_some())
            .min_by_key(|&i| !entries[i].is_builtin());
        let Some(fallback_slot) = fallback_slot else {
            log("DeepMIDI: no model loaded; the plugin stays silent".to_owned());
            return None;
        };
        for (entry, slot) in entries.iter().zip(&slots) {
            if slot.is_none() {
                log(format!(
                    "DeepMIDI: model {:?} plays {:?} instead",
                    entry.name, entries[fallback_slot].name
                ));
            }
        }
        let fallback = slots[fallback_slot].unwrap_or(0);
        Some(LoadedModels {
            engines,
            slot_engine: slots.into_iter().map(|s| s.unwrap_or(fallback)).collect(),
        })
    }

    /// The engine playing list slot `slot` (out-of-range slots play the last one).
    pub fn engine_index(&self, slot: usize) -> usize {
        let last = self.slot_engine.len().saturating_sub(1);
        self.slot_engine.get(slot.min(last)).copied().unwrap_or(0)
    }

    pub fn set_sample_rate(&mut self, sample_rate: f64) {
        for engine in &mut self.engines {
            engine.set_sample_rate(sample_rate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names only: listing never reads a built-in model's bytes.
    static BUILTIN: &[BuiltinModel] = &[
        BuiltinModel {
            name: "irish",
            meta: b"",
            weights: &[],
            eval: None,
        },
        BuiltinModel {
            name: "bach",
            meta: b"",
            weights: &[],
            eval: None,
        },
    ];

    #[test]
    fn names_show_parse_and_save_slots() {
        let (list, _) = list_models_from(BUILTIN, None);
        let names = ModelNames::new(&list);
        assert_eq!(
            (names.shown(1), names.shown(7), names.shown(-2)),
            ("bach".into(), "bach".into(), "irish".into())
        );
        assert_eq!(
            (names.parse(" bach "), names.parse("0"), names.parse("x")),
            (Some(1), Some(0), None)
        );
        assert_eq!(names.saved(5), SavedModel(Some("bach".into())));
        assert_eq!(ModelNames::new(&[]).saved(0), SavedModel(None));
        let read = |json: &str| serde_json::from_str::<SavedModel>(json).unwrap();
        assert_eq!(read("\"irish\""), SavedModel(Some("irish".into())));
        assert_eq!(
            (read("[1,2]"), read("null")),
            (SavedModel(None), SavedModel(None))
        );
    }

    #[test]
    fn list_has_builtins_first_then_user_folders_with_model_json() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["zeta", "irish", "alpha", "no-meta"] {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
            if name != "no-meta" {
                std::fs::write(dir.path().join(name).join("model.json"), "{}").unwrap();
            }
        }
        let (list, problem) = list_models_from(BUILTIN, Some(dir.path()));
        assert!(problem.is_none());
        let names: Vec<&str> = list.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["irish", "bach", "alpha", "irish (user)", "zeta"]);
        assert!(list[0].is_builtin() && list[1].is_builtin() && !list[2].is_builtin());
        assert_eq!(
            list[3].source,
            ModelSource::Folder(dir.path().join("irish"))
        );
    }

    #[test]
    fn missing_user_dir_lists_only_builtins() {
        let (list, problem) = list_models_from(
            &BUILTIN[..1],
            Some(Path::new("/nonexistent/deepmidi/models")),
        );
        assert!(list.len() == 1 && problem.is_none());
    }

    #[test]
    fn broken_user_model_names_its_file_and_falls_back() {
        let dir = tempfile::tempdir().unwrap();
        let broken = dir.path().join("broken");
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("model.json"), "not json").unwrap();
        for f in ["note.safetensors", "offset.safetensors"] {
            std::fs::write(broken.join(f), "nor this").unwrap();
        }
        let (entries, _) = list_models_from(&[], Some(dir.path()));
        let err = entries[0].load().unwrap_err();
        assert!(err.to_string().contains("broken/model.json"), "{err}");
        // Nothing else to fall back to: nothing loads, and the log says why.
        let mut log = Vec::new();
        assert!(LoadedModels::load(&entries, 48_000.0, 1, &mut |m| log.push(m)).is_none());
        assert!(log[0].contains("broken/model.json"), "{log:?}");
    }
}
