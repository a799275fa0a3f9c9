//! Walking a corpus folder: every .mid/.midi below it, the damaged ones skipped with a reason.

use super::midi_file::{read_piece, Piece, PieceError};
use std::path::{Path, PathBuf};

/// Where a piece came from, relative to the corpus folder (for splits and warnings).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PieceSource {
    pub path: PathBuf,
    pub relative: PathBuf,
}

/// A file left out of the corpus, and why.
#[derive(Debug, Clone)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub reason: String,
}

impl std::fmt::Display for SkippedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "skipping {}: {}", self.path.display(), self.reason)
    }
}

#[derive(Debug)]
pub struct Corpus {
    /// The folder's name: recorded in the model's metadata.
    pub name: String,
    /// Sorted by relative path, so every run sees the same order.
    pub pieces: Vec<(PieceSource, Piece)>,
    pub skipped: Vec<SkippedFile>,
}

#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("corpus folder {0} does not exist or is not a folder")]
    NotAFolder(PathBuf),
    #[error("corpus folder {folder} holds no usable MIDI file ({skipped} skipped)")]
    Empty { folder: PathBuf, skipped: usize },
}

fn is_midi(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("mid") || e.eq_ignore_ascii_case("midi"))
}

/// Reads every MIDI file below `folder`, following symbolic links (a link loop is reported
/// as a skipped entry, not followed forever). Damaged files and unreadable entries are
/// collected in `skipped`; the caller prints them as warnings.
pub fn read_corpus(folder: &Path) -> Result<Corpus, CorpusError> {
    if !folder.is_dir() {
        return Err(CorpusError::NotAFolder(folder.to_path_buf()));
    }
    let mut pieces = Vec::new();
    let mut skipped = Vec::new();
    for entry in walkdir::WalkDir::new(folder)
        .follow_links(true)
        .sort_by_file_name()
    {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e.path().unwrap_or(folder).to_path_buf();
                let reason = match (e.loop_ancestor(), std::fs::read_link(&path)) {
                    (Some(a), _) => format!("symbolic link loop back to {}", a.display()),
                    // Following a dangling link fails with a bare "No such file or
                    // directory", which reads as if the listed path itself were missing.
                    (None, Ok(target)) if !path.exists() => {
                        format!("broken symbolic link to {}", target.display())
                    }
                    (None, _) => e
                        .io_error()
                        .map_or_else(|| e.to_string(), |io| io.to_string()),
                };
                skipped.push(SkippedFile { path, reason });
                continue;
            }
        };
        if !entry.file_type().is_file() || !is_midi(entry.path()) {
            continue;
        }
        let path = entry.path().to_path_buf();
        let result = std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| read_piece(&bytes).map_err(|e: PieceError| e.to_string()));
        match result {
            Ok(piece) => {
                let relative = path.strip_prefix(folder).unwrap_or(&path).to_path_buf();
                pieces.push((PieceSource { path, relative }, piece));
            }
            Err(reason) => skipped.push(SkippedFile { path, reason }),
        }
    }
    if pieces.is_empty() {
        return Err(CorpusError::Empty {
            folder: folder.to_path_buf(),
            skipped: skipped.len(),
        });
    }
    pieces.sort_by(|a, b| a.0.relative.cmp(&b.0.relative));
    let name = folder
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "corpus".into());
    Ok(Corpus {
        name,
        pieces,
        skipped,
    })
}
