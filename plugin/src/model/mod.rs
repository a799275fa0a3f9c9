//! The two networks, their metadata and their files.
//!
//! A model set is a folder with `note.safetensors`, `offset.safetensors` and `model.json`.
//! The same tensors serve three readers: candle training (`network`), candle's stock LSTM as
//! the reference for inference (`reference`), and the real-time engine's packed weights.

mod files;
mod metadata;
mod network;
mod reference;

pub use files::{load_model_set, save_model_set, ModelError, ModelSet, StreamKind};
pub use metadata::{CorpusInfo, Hyper, Losses, ModelMeta, TrainingInfo, FORMAT_VERSION};
pub use network::{LstmState, Network, NetworkShape};
pub use reference::ReferenceModel;
