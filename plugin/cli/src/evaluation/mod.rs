//! Judging a model set: likelihood against a unigram baseline, and how its music compares
//! with the corpus (Yang & Lerch 2018).

mod baseline;
mod likelihood;
mod overlap;
mod report;

pub use baseline::Unigram;
pub use likelihood::{score_network, StreamScore};
pub use overlap::{overlaps, OnsetSeries, Overlaps};
pub use report::{evaluate, EvalReport, Score, StreamReport};
