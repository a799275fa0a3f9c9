//! Which pieces train the models and which are held out to measure them.

use super::folder::{Corpus, PieceSource};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A train/validation split: either the lists of a `split.json` file, or every 10th file.
#[derive(Debug, Clone)]
pub enum Split {
    /// `{"train": [...], "validation": [...]}`, paths relative to the file's folder.
    /// A piece not named under "validation" trains.
    File { validation: HashSet<PathBuf> },
    /// Sorted by relative path, index % 10 == 9 is validation (the shared corpus's own rule).
    EveryTenth,
}

#[derive(Debug, thiserror::Error)]
pub enum SplitError {
    #[error("cannot read split file {path}: {reason}")]
    Read { path: PathBuf, reason: String },
}

#[derive(serde::Deserialize)]
struct SplitJson {
    #[serde(default)]
    validation: Vec<PathBuf>,
}

impl Split {
    pub fn from_file(path: &Path) -> Result<Split, SplitError> {
        let err = |reason: String| SplitError::Read {
            path: path.to_path_buf(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let json: SplitJson = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let validation = json
            .validation
            .iter()
            .map(|p| canonical(&base.join(p)))
            .collect();
        Ok(Split::File { validation })
    }

    /// Partitions the corpus's pieces (by index) into (train, validation).
    pub fn partition(&self, corpus: &Corpus) -> (Vec<usize>, Vec<usize>) {
        let mut train = Vec::new();
        let mut validation = Vec::new();
        for (i, (source, _)) in corpus.pieces.iter().enumerate() {
            if self.is_validation(i, source) {
                validation.push(i);
            } else {
                train.push(i);
            }
        }
        (train, validation)
    }

    fn is_validation(&self, index: usize, source: &PieceSource) -> bool {
        match self {
            Split::File { validation } => validation.contains(&canonical(&source.path)),
            Split::EveryTenth => index % 10 == 9,
        }
    }
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}
