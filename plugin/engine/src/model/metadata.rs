//! `model.json`: everything besides the weights that is needed to use or judge a model set.

use super::inputs::Arch;
use super::streams::{PerStream, StreamKind};
use super::tensors::NetworkShape;
use crate::corpus::Meter;
use crate::tokens::{
    Encoder, NoteVocab, OffsetGrid, OffsetVocab, TokenMode, Transpose, VocabError,
};
use serde::{Deserialize, Serialize};

/// Bumped when the file layout changes incompatibly; older files are refused with a message.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hyper {
    pub embedding: usize,
    pub units: usize,
    pub layers: usize,
    pub dropout: f32,
    pub seq_len: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub steps: usize,
    pub min_count: u64,
    pub seed: u64,
    /// Which networks (`seed` in files from before the field).
    #[serde(default)]
    pub arch: Arch,
    /// Each training window moved by a random interval in this range (none in older files).
    #[serde(default)]
    pub transpose: Transpose,
}

/// The training defaults: `deepmidi train`'s flags and `deepmidi bench`'s sizes.
impl Default for Hyper {
    fn default() -> Self {
        Hyper {
            embedding: 64,
            units: 128,
            layers: 3,
            dropout: 0.2,
            seq_len: 64,
            batch_size: 32,
            learning_rate: 3e-3,
            steps: 3000,
            min_count: 2,
            seed: 1,
            arch: Arch::Joint,
            transpose: Transpose::ALL_KEYS,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusInfo {
    pub name: String,
    pub files: usize,
    pub train_files: usize,
    pub validation_files: usize,
    pub skipped_files: usize,
    pub train_onsets: usize,
    pub train_tokens: usize,
}

/// Mean negative log-likelihood in nats per token of each stream, and of both summed per onset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Losses {
    pub note: f64,
    pub offset: f64,
    /// (note + offset NLL summed over all tokens) / onsets: comparable across token modes.
    pub per_onset: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingInfo {
    /// The training steps of these weights: the step with the lowest validation loss.
    pub steps_done: usize,
    /// Steps the run went through, more than `steps_done` when it kept an earlier, better
    /// set (0 in files written before this field).
    #[serde(default)]
    pub steps_run: usize,
    /// Mean training loss over the last 100 steps, per stream (NaN, written as null, when
    /// unknown).
    #[serde(deserialize_with = "null_as_nan")]
    pub train_note_loss: f64,
    #[serde(deserialize_with = "null_as_nan")]
    pub train_offset_loss: f64,
    pub validation: Option<Losses>,
    pub seconds: f64,
    /// RFC 3339, UTC.
    pub date: String,
}

fn null_as_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    pub format: u32,
    pub name: String,
    pub mode: TokenMode,
    pub grid: OffsetGrid,
    /// The training music's predominant meter: `deepmidi generate` writes its music in it
    /// unless told otherwise (4/4 in files from before this field).
    #[serde(default)]
    pub meter: Meter,
    pub note_vocab: NoteVocab,
    pub offset_vocab: OffsetVocab,
    pub hyper: Hyper,
    pub corpus: CorpusInfo,
    pub training: TrainingInfo,
}

impl Hyper {
    /// The shape of one network of a set with these settings and vocabularies.
    pub fn shape(&self, kind: StreamKind, vocabs: PerStream<usize>) -> NetworkShape {
        NetworkShape {
            arch: self.arch,
            kind,
            vocabs,
            embedding: self.embedding,
            units: self.units,
            layers: self.layers,
        }
    }
}

impl ModelMeta {
    pub fn shape(&self, kind: StreamKind) -> NetworkShape {
        self.hyper.shape(kind, self.vocab_sizes())
    }

    /// Each stream's vocabulary size.
    pub fn vocab_sizes(&self) -> PerStream<usize> {
        vocab_sizes(&self.note_vocab, &self.offset_vocab)
    }

    /// The encoder of this model's tokens.
    pub fn encoder(&self) -> Encoder<'_> {
        Encoder {
            mode: self.mode,
            grid: &self.grid,
            notes: &self.note_vocab,
            offsets: &self.offset_vocab,
        }
    }

    /// Parses and checks a `model.json`; the error says what is wrong, not where (the caller
    /// adds the file name).
    pub fn from_json(text: &str) -> Result<ModelMeta, MetaError> {
        let probe: serde_json::Value = serde_json::from_str(text)?;
        match probe.get("format").and_then(|f| f.as_u64()) {
            Some(v) if v == u64::from(FORMAT_VERSION) => {}
            Some(v) => return Err(MetaError::Format(v)),
            None => return Err(MetaError::NoFormat),
        }
        let mut meta: ModelMeta = serde_json::from_value(probe)?;
        meta.note_vocab = meta.note_vocab.reindexed();
        meta.offset_vocab = meta.offset_vocab.reindexed();
        meta.note_vocab.validate()?;
        meta.offset_vocab.validate()?;
        super::limits::check_meta(&meta)?;
        Ok(meta)
    }
}

/// Each stream's vocabulary size: the one place a stream finds its vocabulary (a model's,
/// or a corpus's being trained).
pub fn vocab_sizes(notes: &NoteVocab, offsets: &OffsetVocab) -> PerStream<usize> {
    PerStream::from_fn(|kind| match kind {
        StreamKind::Note => notes.len(),
        StreamKind::Offset => offsets.len(),
    })
}

/// Why a `model.json` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("model format {0}, this DeepMIDI reads format {FORMAT_VERSION}")]
    Format(u64),
    #[error("no \"format\" field: not a DeepMIDI model.json")]
    NoFormat,
    #[error("{0}")]
    Vocab(#[from] VocabError),
    #[error("{0}")]
    Invalid(&'static str),
    /// A size or token outside [`super::limits`]' bounds.
    #[error("{0}")]
    Bound(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model.json as written before `meter`, `hyper.transpose` and `training.steps_run`
    /// (the shipped Irish model of 2026-11-25): it still loads, with the defaults that
    /// describe how it was made.
    #[test]
    fn model_files_from_before_the_meter_still_load() {
        let old = include_str!("testdata/format1-before-meter.json");
        let meta = ModelMeta::from_json(old).expect("an older model.json loads");
        assert_eq!(meta.meter, Meter::COMMON_TIME);
        assert!(meta.hyper.transpose.is_none());
        assert_eq!(meta.hyper.arch, Arch::Seed);
        assert_eq!(meta.training.steps_run, 0);
        assert_eq!(meta.training.steps_done, 955);
        // Written again, it reads back the same, now with the new fields spelled out.
        let json = serde_json::to_string(&meta).unwrap();
        assert!(
            json.contains("\"meter\":\"4/4\"")
                && json.contains("\"transpose\":\"0..0\"")
                && json.contains("\"arch\":\"seed\"")
        );
        assert_eq!(ModelMeta::from_json(&json).unwrap(), meta);
    }
}
