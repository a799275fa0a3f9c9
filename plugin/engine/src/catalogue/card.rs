//! Model cards: what the window tells about each model in the list before it is played:
//! what it learned from, how big it is, how well it predicts music it never trained on, and
//! why it does not load, if it does not.

use super::{ModelEntry, ModelSource};
use crate::model::{ModelError, ModelSet, StreamKind, EVAL_FILE};
use serde::Deserialize;
use std::path::Path;

/// One model's card. A model that does not load has its `problem` set and nothing else but
/// its name and whether it is built in (empty strings, zeros and `None`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelCard {
    pub name: String,
    pub builtin: bool,
    /// The training corpus's name and its number of files (`model.json`'s `corpus`).
    pub corpus: String,
    pub files: usize,
    /// Architecture, layers × units and token mode, such as `joint LSTM, 3×128, chord tokens`.
    pub architecture: String,
    /// Weights of both networks.
    pub parameters: usize,
    /// The two weight files' bytes.
    pub size_bytes: u64,
    /// Negative log-likelihood in nats per onset of held-out music: `eval.json`'s, else the
    /// validation loss of training (`model.json`).
    pub nll_per_onset: Option<f64>,
    /// The same for a model that only knows how often each token occurs: the yardstick
    /// (only in `eval.json`).
    pub unigram_nll_per_onset: Option<f64>,
    /// When training finished (RFC 3339, UTC).
    pub trained: String,
    /// Why the model fails to load, naming the file: what the player logs for it.
    pub problem: Option<String>,
}

/// The figures of `deepmidi eval`'s report that a card shows.
#[derive(Deserialize)]
struct EvalFigures {
    model_nll_per_onset: f64,
    unigram_nll_per_onset: f64,
}

/// The cards of a model list, in its order. Reads and checks every model's files (as
/// loading it does, without building an engine): on the main thread, never the audio one.
pub fn model_cards(entries: &[ModelEntry]) -> Vec<ModelCard> {
    entries.iter().map(ModelCard::of).collect()
}

impl ModelCard {
    pub fn of(entry: &ModelEntry) -> ModelCard {
        let card = ModelCard {
            name: entry.name.clone(),
            builtin: entry.is_builtin(),
            ..ModelCard::default()
        };
        match entry.load().and_then(|set| Ok((weight_bytes(entry)?, set))) {
            Ok((size_bytes, set)) => ModelCard {
                size_bytes,
                ..card.with_facts(&set, eval_figures(entry))
            },
            Err(e) => ModelCard {
                problem: Some(e.to_string()),
                ..card
            },
        }
    }

    fn with_facts(self, set: &ModelSet, eval: Option<EvalFigures>) -> ModelCard {
        let meta = &set.meta;
        let validation = meta.training.validation.map(|v| v.per_onset);
        ModelCard {
            corpus: meta.corpus.name.clone(),
            files: meta.corpus.files,
            architecture: format!(
                "{} LSTM, {}×{}, {} tokens",
                meta.hyper.arch, meta.hyper.layers, meta.hyper.units, meta.mode
            ),
            parameters: [StreamKind::Note, StreamKind::Offset]
                .iter()
                .flat_map(|&kind| set.tensors(kind).values())
                .map(|w| w.data.len())
                .sum(),
            nll_per_onset: eval.as_ref().map(|e| e.model_nll_per_onset).or(validation),
            unigram_nll_per_onset: eval.map(|e| e.unigram_nll_per_onset),
            trained: meta.training.date.clone(),
            ..self
        }
    }
}

/// The weight files' bytes.
fn weight_bytes(entry: &ModelEntry) -> Result<u64, ModelError> {
    match &entry.source {
        ModelSource::Builtin(b) => Ok(b.weights.iter().map(|(_, w)| w.len() as u64).sum()),
        ModelSource::Folder(dir) => StreamKind::ALL
            .iter()
            .map(|kind| file_len(&dir.join(kind.file_name())))
            .sum(),
    }
}

fn file_len(path: &Path) -> Result<u64, ModelError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| ModelError::new(path, e))
}

/// `eval.json`'s figures, when the model has a readable one (a card without them still
/// shows the validation loss, so an unreadable report only loses the yardstick).
fn eval_figures(entry: &ModelEntry) -> Option<EvalFigures> {
    let parse = |bytes: &[u8]| serde_json::from_slice(bytes).ok();
    match &entry.source {
        ModelSource::Builtin(b) => parse(b.eval?),
        ModelSource::Folder(dir) => parse(&std::fs::read(dir.join(EVAL_FILE)).ok()?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::BuiltinModel;
    use crate::model::META_FILE;
    use serde_json::Value;
    use std::path::PathBuf;

    fn shipped_dir(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../models")
            .join(name)
    }

    fn json(path: &Path) -> Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    }

    /// The weights a model's shape calls for, counted from `model.json` alone.
    fn layout_parameters(meta: &Value) -> usize {
        let meta = crate::model::ModelMeta::from_json(&meta.to_string()).unwrap();
        StreamKind::ALL
            .iter()
            .flat_map(|&kind| meta.shape(kind).layout())
            .map(|(_, dims)| dims.iter().product::<usize>())
            .sum()
    }

    /// Built in as the plugin's build script embeds it, its report too.
    static IRISH: BuiltinModel = BuiltinModel {
        name: "irish",
        meta: include_bytes!("../../../../models/irish/model.json"),
        weights: &[
            (
                "note.safetensors",
                include_bytes!("../../../../models/irish/note.safetensors"),
            ),
            (
                "offset.safetensors",
                include_bytes!("../../../../models/irish/offset.safetensors"),
            ),
        ],
        eval: Some(include_bytes!("../../../../models/irish/eval.json")),
    };

    /// Every figure of a shipped model's card is the one its files hold.
    #[test]
    fn shipped_cards_show_their_model_json_and_eval_json() {
        let entries: Vec<ModelEntry> = std::iter::once(ModelEntry {
            name: "irish".into(),
            source: ModelSource::Builtin(&IRISH),
        })
        .chain(["irish", "bach"].map(|name| ModelEntry {
            name: format!("{name} (folder)"),
            source: ModelSource::Folder(shipped_dir(name)),
        }))
        .collect();
        let cards = model_cards(&entries);
        for (card, model) in cards.iter().zip(["irish", "irish", "bach"]) {
            let dir = shipped_dir(model);
            let (meta, eval) = (json(&dir.join(META_FILE)), json(&dir.join(EVAL_FILE)));
            assert_eq!(card.problem, None);
            assert_eq!(card.corpus, meta["corpus"]["name"].as_str().unwrap());
            assert_eq!(card.files as u64, meta["corpus"]["files"].as_u64().unwrap());
            assert_eq!(card.trained, meta["training"]["date"].as_str().unwrap());
            assert_eq!(card.nll_per_onset, eval["model_nll_per_onset"].as_f64());
            assert_eq!(
                card.unigram_nll_per_onset,
                eval["unigram_nll_per_onset"].as_f64()
            );
            assert_eq!(card.parameters, layout_parameters(&meta));
            let bytes = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
            assert_eq!(
                card.size_bytes,
                bytes("note.safetensors") + bytes("offset.safetensors")
            );
        }
        assert_eq!(cards[0].architecture, "joint LSTM, 3×128, chord tokens");
        assert_eq!(cards[2].architecture, "joint LSTM, 3×128, split tokens");
        assert!(cards[0].builtin && !cards[1].builtin);
        assert_eq!(
            (cards[0].name.as_str(), cards[2].name.as_str()),
            ("irish", "bach (folder)")
        );
        // The built-in card and the folder's are the same card.
        assert_eq!(
            ModelCard {
                name: cards[1].name.clone(),
                builtin: false,
                ..cards[0].clone()
            },
            cards[1]
        );
    }

    /// A user's model without an `eval.json` shows its validation loss and no yardstick; a
    /// broken one shows why, naming the file, as the player's log does.
    #[test]
    fn a_user_model_without_a_report_and_a_broken_one() {
        let dir = tempfile::tempdir().unwrap();
        let (mine, broken) = (dir.path().join("mine"), dir.path().join("broken"));
        for (folder, note) in [(&mine, None), (&broken, Some(&b"not weights"[..]))] {
            std::fs::create_dir_all(folder).unwrap();
            for f in [META_FILE, "note.safetensors", "offset.safetensors"] {
                std::fs::copy(shipped_dir("bach").join(f), folder.join(f)).unwrap();
            }
            if let Some(bytes) = note {
                std::fs::write(folder.join("note.safetensors"), bytes).unwrap();
            }
        }
        let entries = [("mine", &mine), ("broken", &broken)].map(|(name, dir)| ModelEntry {
            name: name.into(),
            source: ModelSource::Folder(dir.clone()),
        });
        let [mine, broken] = <[ModelCard; 2]>::try_from(model_cards(&entries)).unwrap();
        let meta = json(&shipped_dir("bach").join(META_FILE));
        assert_eq!(
            mine.nll_per_onset,
            meta["training"]["validation"]["per_onset"].as_f64()
        );
        assert_eq!((mine.unigram_nll_per_onset, mine.problem), (None, None));
        assert_eq!((mine.corpus.as_str(), mine.builtin), ("bach", false));

        let problem = broken.problem.expect("a broken model has a problem");
        assert!(problem.contains("broken/note.safetensors"), "{problem}");
        let mut log = Vec::new();
        crate::catalogue::LoadedModels::load(&entries[1..], 48_000.0, 1, &mut |m| log.push(m));
        assert!(log[0].contains(&problem), "{log:?}");
        assert_eq!(
            ModelCard {
                problem: None,
                ..broken
            },
            ModelCard {
                name: "broken".into(),
                ..ModelCard::default()
            }
        );
    }
}
