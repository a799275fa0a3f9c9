//! The training path: corpus → vocabularies and encoded pieces → two trained networks.

mod batches;
mod checkpoint;
mod dataset;
mod trainer;

pub use batches::{next_steps, WindowSampler};
pub use checkpoint::read_history;
pub use dataset::{Dataset, EncodedPiece};
pub(crate) use trainer::Learner;
pub use trainer::{train, EarlyStopping, LossPoint, TrainOptions, TrainReport};
