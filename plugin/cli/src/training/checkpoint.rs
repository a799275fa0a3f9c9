//! Checkpoints: a complete, loadable model set in `OUT/checkpoint/`, replaced atomically.
//!
//! The new checkpoint is written beside the old one and swapped in by renames, so a run
//! killed at any moment leaves either the previous or the new checkpoint whole.

use super::trainer::LossPoint;
use crate::model::{save_model_set, ModelError, ModelMeta, PerStream};
use candle_nn::VarMap;
use std::path::{Path, PathBuf};

pub const HISTORY_FILE: &str = "history.json";

pub fn checkpoint_dir(out: &Path) -> PathBuf {
    out.join("checkpoint")
}

fn sibling(out: &Path, suffix: &str) -> PathBuf {
    out.join(format!("checkpoint.{suffix}"))
}

pub fn write_history(dir: &Path, history: &[LossPoint]) -> Result<(), ModelError> {
    let path = dir.join(HISTORY_FILE);
    let json = serde_json::to_string(history).map_err(|e| ModelError::new(&path, e))?;
    std::fs::write(&path, json).map_err(|e| ModelError::new(&path, e))
}

pub fn read_history(dir: &Path) -> Result<Vec<LossPoint>, ModelError> {
    let path = dir.join(HISTORY_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| ModelError::new(&path, e))?;
    serde_json::from_str(&text).map_err(|e| ModelError::new(&path, e))
}

pub fn save_checkpoint(
    out: &Path,
    meta: &ModelMeta,
    vars: PerStream<&VarMap>,
    history: &[LossPoint],
) -> Result<(), ModelError> {
    let fresh = sibling(out, "new");
    let old = sibling(out, "old");
    let current = checkpoint_dir(out);
    let _ = std::fs::remove_dir_all(&fresh);
    save_model_set(&fresh, meta, vars)?;
    write_history(&fresh, history)?;
    let _ = std::fs::remove_dir_all(&old);
    if current.exists() {
        std::fs::rename(&current, &old).map_err(|e| ModelError::new(&current, e))?;
    }
    std::fs::rename(&fresh, &current).map_err(|e| ModelError::new(&fresh, e))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// The newest whole checkpoint: the current one, or the previous one if a swap was cut off.
pub fn latest_checkpoint(out: &Path) -> Option<PathBuf> {
    [checkpoint_dir(out), sibling(out, "old")]
        .into_iter()
        .find(|d| d.join("model.json").is_file())
}

pub fn remove_checkpoints(out: &Path) {
    for d in [
        checkpoint_dir(out),
        sibling(out, "old"),
        sibling(out, "new"),
    ] {
        let _ = std::fs::remove_dir_all(d);
    }
}
