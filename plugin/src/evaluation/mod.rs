//! Judging a model set: likelihood against a unigram baseline, and how its music compares
//! with the corpus (Yang & Lerch 2018).

mod likelihood;

pub use likelihood::{score_network, StreamScore};
