//! Reading a model set folder (or its three files' bytes). Every error names the file it is
//! about.

use super::metadata::ModelMeta;
use super::streams::{PerStream, StreamKind};
use super::tensors::NetworkShape;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const META_FILE: &str = "model.json";
/// `deepmidi eval`'s report, beside `model.json`: what a model card shows of how well the
/// model predicts music it never trained on.
pub const EVAL_FILE: &str = "eval.json";

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

/// One tensor as plain floats, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// A loaded model set: metadata plus every stream's network weights, each checked against
/// the layout the metadata implies.
#[derive(Debug, Clone)]
pub struct ModelSet {
    pub meta: ModelMeta,
    pub weights: PerStream<HashMap<String, Weights>>,
    /// Where it came from, for messages (a folder, or "built-in:NAME").
    pub origin: PathBuf,
}

impl ModelSet {
    pub fn shape(&self, kind: StreamKind) -> NetworkShape {
        self.meta.shape(kind)
    }

    pub fn tensors(&self, kind: StreamKind) -> &HashMap<String, Weights> {
        &self.weights[kind]
    }

    /// A tensor checked to exist; its shape was checked on loading.
    pub fn tensor(&self, kind: StreamKind, name: &str) -> Result<&[f32], ModelError> {
        self.tensors(kind)
            .get(name)
            .map(|w| w.data.as_slice())
            .ok_or_else(|| {
                ModelError::new(
                    self.origin.join(kind.file_name()),
                    format!("missing tensor {name}"),
                )
            })
    }

    /// Parses a model set from its files' bytes: `model.json`'s, then each stream's weights
    /// file as `weights` gives it (the plugin's built-in models are embedded; folders go
    /// through `load_model_set`).
    pub fn from_bytes<B: AsRef<[u8]>>(
        origin: &Path,
        meta: &[u8],
        mut weights: impl FnMut(StreamKind) -> Result<B, ModelError>,
    ) -> Result<ModelSet, ModelError> {
        let text =
            std::str::from_utf8(meta).map_err(|e| ModelError::new(origin.join(META_FILE), e))?;
        let meta =
            ModelMeta::from_json(text).map_err(|e| ModelError::new(origin.join(META_FILE), e))?;
        let weights = PerStream::try_from_fn(|kind| {
            let bytes = weights(kind)?;
            read_weights(bytes.as_ref(), meta.shape(kind))
                .map_err(|reason| ModelError::new(origin.join(kind.file_name()), reason))
        })?;
        Ok(ModelSet {
            meta,
            weights,
            origin: origin.to_path_buf(),
        })
    }
}

/// Reads every tensor of `shape`'s layout from a safetensors file, as f32.
fn read_weights(bytes: &[u8], shape: NetworkShape) -> Result<HashMap<String, Weights>, String> {
    let file = super::limits::check_weights(bytes, &shape)?;
    let mut weights = HashMap::new();
    for (name, dims) in shape.layout() {
        // Present, F32 and of this shape: `check_weights` saw to it.
        let view = file
            .tensor(&name)
            .map_err(|_| format!("missing tensor {name}"))?;
        let data: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if let Some(bad) = data.iter().position(|x| !x.is_finite()) {
            return Err(format!("tensor {name} holds a non-finite value at {bad}"));
        }
        weights.insert(name, Weights { shape: dims, data });
    }
    Ok(weights)
}

/// Loads a model set folder.
pub fn load_model_set(dir: &Path) -> Result<ModelSet, ModelError> {
    let read = |name: &str| {
        let path = dir.join(name);
        super::limits::read_capped(&path, super::limits::file_cap(name))
    };
    let meta = read(META_FILE)?;
    ModelSet::from_bytes(dir, &meta, |kind| read(kind.file_name()))
}
