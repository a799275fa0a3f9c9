//! What the engine's integration tests share.

use deepmidi_engine::model::{load_model_set, ModelSet};
use std::path::PathBuf;

/// A shipped model set, read from the workspace's `models/` folder.
pub fn shipped(name: &str) -> ModelSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(name);
    load_model_set(&dir).unwrap_or_else(|e| panic!("shipped model {name}: {e}"))
}
