//! A model set: its metadata and both networks' weights, read from the files without any
//! tensor library (the real-time path needs plain packed floats; the training path in
//! `deepmidi-cli` turns the same weights into candle tensors).
//!
//! A model set is a folder with `model.json` and one weights file per stream
//! ([`StreamKind::file_name`]: `note.safetensors`, `offset.safetensors`).

mod files;
pub mod inputs;
pub mod limits;
mod metadata;
pub mod streams;
pub mod tensors;

pub use files::{load_model_set, ModelError, ModelSet, Weights, EVAL_FILE, META_FILE};
pub use inputs::{metric_features, Arch, NetInput, StepInput, METRIC_FEATURES};
pub use metadata::{
    vocab_sizes, CorpusInfo, Hyper, Losses, MetaError, ModelMeta, TrainingInfo, FORMAT_VERSION,
};
pub use streams::{PerStream, StreamKind};
pub use tensors::NetworkShape;
