//! Judging a model set: likelihood against a unigram baseline, and how its music compares
//! with the corpus (Yang & Lerch 2018).

mod adherence;
mod baseline;
mod key;
mod likelihood;
mod overlap;
mod report;

pub use adherence::{key_adherence, KeyAdherence, ScaleAdherence};
pub use baseline::Unigram;
pub use key::{estimate_key, key_stability, KeyEstimate, KEY_WINDOW_ONSETS};
pub use likelihood::{score_network, StreamScore};
pub use overlap::{overlaps, OnsetSeries, Overlaps, SeriesOnset};
pub use report::{evaluate, EvalReport, KeyStability, Score, StreamReport};
