//! Reading and writing a model set folder. Every error names the file it is about.

use super::metadata::ModelMeta;
use super::network::{Network, NetworkShape};
use super::reference::ReferenceModel;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const META_FILE: &str = "model.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    Note,
    Offset,
}

impl StreamKind {
    pub fn file_name(self) -> &'static str {
        match self {
            StreamKind::Note => "note.safetensors",
            StreamKind::Offset => "offset.safetensors",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct ModelError {
    pub path: PathBuf,
    pub reason: String,
}

impl ModelError {
    pub fn new(path: impl Into<PathBuf>, reason: impl ToString) -> Self {
        ModelError {
            path: path.into(),
            reason: reason.to_string(),
        }
    }
}

/// A loaded model set: metadata plus both networks' tensors, checked against each other.
#[derive(Debug, Clone)]
pub struct ModelSet {
    pub meta: ModelMeta,
    pub note: HashMap<String, Tensor>,
    pub offset: HashMap<String, Tensor>,
    /// Where it came from, for messages (a folder, or "built-in:NAME").
    pub origin: PathBuf,
}

impl ModelSet {
    pub fn shape(&self, kind: StreamKind) -> NetworkShape {
        let h = &self.meta.hyper;
        let vocab = match kind {
            StreamKind::Note => self.meta.note_vocab.len(),
            StreamKind::Offset => self.meta.offset_vocab.len(),
        };
        NetworkShape {
            vocab,
            embedding: h.embedding,
            units: h.units,
            layers: h.layers,
        }
    }

    pub fn tensors(&self, kind: StreamKind) -> &HashMap<String, Tensor> {
        match kind {
            StreamKind::Note => &self.note,
            StreamKind::Offset => &self.offset,
        }
    }

    fn var_builder(&self, kind: StreamKind) -> VarBuilder<'static> {
        VarBuilder::from_tensors(self.tensors(kind).clone(), DType::F32, &Device::Cpu)
    }

    /// The trainable network (evaluation, fine-tuning).
    pub fn network(&self, kind: StreamKind) -> Result<Network, ModelError> {
        Network::new(self.shape(kind), 0.0, self.var_builder(kind))
            .map_err(|e| ModelError::new(self.origin.join(kind.file_name()), e))
    }

    /// candle's stock LSTM over the same weights.
    pub fn reference(&self, kind: StreamKind) -> Result<ReferenceModel, ModelError> {
        ReferenceModel::new(self.shape(kind), self.var_builder(kind))
            .map_err(|e| ModelError::new(self.origin.join(kind.file_name()), e))
    }

    /// Parses a model set from its three files' bytes (the plugin's built-in models are
    /// embedded this way; folders go through `load_model_set`).
    pub fn from_bytes(
        origin: &Path,
        meta: &[u8],
        note: &[u8],
        offset: &[u8],
    ) -> Result<ModelSet, ModelError> {
        let text =
            std::str::from_utf8(meta).map_err(|e| ModelError::new(origin.join(META_FILE), e))?;
        let meta =
            ModelMeta::from_json(text).map_err(|e| ModelError::new(origin.join(META_FILE), e))?;
        let load = |kind: StreamKind, bytes: &[u8]| {
            candle_core::safetensors::load_buffer(bytes, &Device::Cpu)
                .map_err(|e| ModelError::new(origin.join(kind.file_name()), e))
        };
        let set = ModelSet {
            meta,
            note: load(StreamKind::Note, note)?,
            offset: load(StreamKind::Offset, offset)?,
            origin: origin.to_path_buf(),
        };
        // Building the network checks every tensor's presence, dtype and shape.
        set.network(StreamKind::Note)?;
        set.network(StreamKind::Offset)?;
        Ok(set)
    }
}

/// Loads a model set folder.
pub fn load_model_set(dir: &Path) -> Result<ModelSet, ModelError> {
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| ModelError::new(path, e))
    };
    let meta = read(META_FILE)?;
    let note = read(StreamKind::Note.file_name())?;
    let offset = read(StreamKind::Offset.file_name())?;
    ModelSet::from_bytes(dir, &meta, &note, &offset)
}

/// Writes a model set folder. Each file is written to a temporary name and renamed, so an
/// interrupted save never leaves a half-written model behind.
pub fn save_model_set(
    dir: &Path,
    meta: &ModelMeta,
    note: &VarMap,
    offset: &VarMap,
) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::new(dir, e))?;
    let finish = |tmp: &Path, name: &str| {
        std::fs::rename(tmp, dir.join(name)).map_err(|e| ModelError::new(dir.join(name), e))
    };
    for (vars, kind) in [(note, StreamKind::Note), (offset, StreamKind::Offset)] {
        let tmp = dir.join(format!("{}.tmp", kind.file_name()));
        vars.save(&tmp).map_err(|e| ModelError::new(&tmp, e))?;
        finish(&tmp, kind.file_name())?;
    }
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let json = serde_json::to_string_pretty(meta).map_err(|e| ModelError::new(&tmp, e))?;
    std::fs::write(&tmp, json + "\n").map_err(|e| ModelError::new(&tmp, e))?;
    finish(&tmp, META_FILE)
}
