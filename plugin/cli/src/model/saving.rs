//! Model sets as candle variables: building the networks from a loaded set, and writing a
//! trained set's files.

use super::network::Network;
use super::reference::ReferenceModel;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use deepmidi_engine::model::{ModelError, ModelMeta, ModelSet, PerStream, StreamKind, META_FILE};
use std::collections::HashMap;
use std::path::Path;

/// The candle networks of a loaded model set.
pub trait CandleModels {
    /// The trainable network (evaluation, fine-tuning).
    fn network(&self, kind: StreamKind) -> Result<Network, ModelError>;
    /// candle's stock LSTM over the same weights.
    fn reference(&self, kind: StreamKind) -> Result<ReferenceModel, ModelError>;
}

fn var_builder(set: &ModelSet, kind: StreamKind) -> Result<VarBuilder<'static>, ModelError> {
    let mut tensors = HashMap::new();
    for (name, w) in set.tensors(kind) {
        let t = Tensor::from_vec(w.data.clone(), w.shape.as_slice(), &Device::Cpu)
            .map_err(|e| ModelError::new(set.origin.join(kind.file_name()), e))?;
        tensors.insert(name.clone(), t);
    }
    Ok(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu))
}

impl CandleModels for ModelSet {
    fn network(&self, kind: StreamKind) -> Result<Network, ModelError> {
        Network::new(self.shape(kind), 0.0, var_builder(self, kind)?)
            .map_err(|e| ModelError::new(self.origin.join(kind.file_name()), e))
    }

    fn reference(&self, kind: StreamKind) -> Result<ReferenceModel, ModelError> {
        ReferenceModel::new(self.shape(kind), var_builder(self, kind)?)
            .map_err(|e| ModelError::new(self.origin.join(kind.file_name()), e))
    }
}

/// Writes a model set folder. Each file is written to a temporary name and renamed, so an
/// interrupted save never leaves a half-written model behind.
pub fn save_model_set(
    dir: &Path,
    meta: &ModelMeta,
    vars: PerStream<&VarMap>,
) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|e| ModelError::new(dir, e))?;
    let finish = |tmp: &Path, name: &str| {
        std::fs::rename(tmp, dir.join(name)).map_err(|e| ModelError::new(dir.join(name), e))
    };
    for (kind, vars) in vars.iter() {
        let tmp = dir.join(format!("{}.tmp", kind.file_name()));
        vars.save(&tmp).map_err(|e| ModelError::new(&tmp, e))?;
        finish(&tmp, kind.file_name())?;
    }
    write_meta(dir, meta)
}

/// Replaces `dir`'s `model.json` (written beside it and renamed, so it is never half there).
pub fn write_meta(dir: &Path, meta: &ModelMeta) -> Result<(), ModelError> {
    let tmp = dir.join(format!("{META_FILE}.tmp"));
    let json = serde_json::to_string_pretty(meta).map_err(|e| ModelError::new(&tmp, e))?;
    std::fs::write(&tmp, json + "\n").map_err(|e| ModelError::new(&tmp, e))?;
    std::fs::rename(&tmp, dir.join(META_FILE)).map_err(|e| ModelError::new(dir.join(META_FILE), e))
}
