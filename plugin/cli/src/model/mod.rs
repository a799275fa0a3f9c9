//! The networks as candle modules, for training and as the reference for inference, over the
//! engine's model files.
//!
//! The same tensors serve three readers: candle training ([`Network`]), candle's stock LSTM
//! as the yardstick for inference ([`ReferenceModel`]), and the engine's packed real-time LSTM.

mod embeddings;
mod fused_lstm;
mod network;
mod reference;
mod saving;

pub use deepmidi_engine::model::*;
pub use network::{seed_weights, Dropout, LstmState, Network, StepBatch};
pub use reference::{random_steps, ReferenceModel};
pub use saving::{save_model_set, write_meta, CandleModels};
