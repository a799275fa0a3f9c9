//! Judging a model set: likelihood against a unigram baseline, how its music compares
//! with the corpus (Yang & Lerch 2018), and how it continues a piece it has heard.

mod adherence;
mod baseline;
mod continuation;
mod form;
mod key;
mod likelihood;
mod overlap;
mod report;

pub use adherence::{key_adherence, KeyAdherence, ScaleAdherence};
pub use baseline::Unigram;
pub use continuation::{
    continuation, ContinuationOverlaps, ContinuationReport, Estimate, Figures, PieceContinuation,
};
pub use form::{form_figures, self_similarity, FormFigures, BEST_MATCH_BARS, MATCH_DISTANCES};
pub use key::{estimate_key, key_stability, KeyEstimate, KEY_WINDOW_ONSETS};
pub use likelihood::{score_network, StreamScore};
pub use overlap::{overlaps, OnsetSeries, Overlaps, PlayedOnset, SeriesOnset};
pub use report::{evaluate, EvalReport, FormReport, KeyStability, Score, StreamReport};
