//! Shared test fixtures: the shared corpus's location and a tiny model trained on a few files.
#![allow(dead_code)]

use deepmidi_cli::model::{Hyper, ModelSet};
use deepmidi_cli::tokens::TokenMode;
use deepmidi_cli::training::{train, EarlyStopping, TrainOptions, TrainReport};
use std::path::{Path, PathBuf};

/// `../shared/corpus` beside the checkout.
pub fn shared_corpus() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        p.is_dir(),
        "the shared corpus is expected at {}",
        p.display()
    );
    p
}

/// Copies the first `n` files of a shared corpus folder into `dest`.
pub fn copy_files(sub: &str, n: usize, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(shared_corpus().join(sub))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files.into_iter().take(n) {
        std::fs::copy(&f, dest.join(f.file_name().unwrap())).unwrap();
    }
}

pub fn tiny_hyper(steps: usize) -> Hyper {
    Hyper {
        embedding: 8,
        units: 16,
        layers: 2,
        dropout: 0.2,
        seq_len: 16,
        batch_size: 8,
        learning_rate: 1e-2,
        steps,
        min_count: 1,
        seed: 3,
        arch: Hyper::default().arch,
        transpose: Default::default(),
    }
}

pub fn tiny_options(corpus: &Path, out: &Path, mode: TokenMode, steps: usize) -> TrainOptions {
    TrainOptions {
        corpus: corpus.to_path_buf(),
        out: out.to_path_buf(),
        split: None,
        name: Some("tiny".into()),
        mode,
        hyper: tiny_hyper(steps),
        checkpoint_every: 0,
        stopping: EarlyStopping {
            validate_every: 0,
            patience: 0,
        },
        resume: false,
        progress: false,
    }
}

/// Trains a tiny model on 10 Irish tunes (or 6 chorales) in `dir`; returns it loaded.
pub fn tiny_model(dir: &Path, sub: &str, mode: TokenMode, steps: usize) -> (ModelSet, TrainReport) {
    let corpus = dir.join("corpus");
    copy_files(sub, if sub == "bach" { 6 } else { 10 }, &corpus);
    let out = dir.join("model");
    let report = train(&tiny_options(&corpus, &out, mode, steps)).expect("tiny training");
    (
        deepmidi_cli::model::load_model_set(&out).expect("load tiny model"),
        report,
    )
}
