//! The environment every test process loads the plugin in.
//!
//! - `XDG_DATA_HOME` points at `target/host-tests/xdg`, whose `deepmidi/models/` holds
//!   [`TEST_MODEL`] (a tiny model trained once with the release `deepmidi` command on a few
//!   files of the shared Irish corpus, then reused) and [`BROKEN_MODEL`] (an unreadable
//!   `model.json`, to exercise the loading fallback). Scenarios select [`TEST_MODEL`], so they
//!   run at the same speed whatever the shipped models weigh.
//! - `NICE_LOG` sends the plugin's log to `target/host-tests/plugin-<pid>.log`.
//!
//! Call [`setup`] before loading a plugin: the plugin reads both variables when it is loaded
//! or created.

use crate::bundles::{deepmidi_cli, target_dir, workspace_root};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub const TEST_MODEL: &str = "tiny-test";
pub const BROKEN_MODEL: &str = "broken-test";

pub struct Fixture {
    /// `$XDG_DATA_HOME/deepmidi/models`.
    pub models_dir: PathBuf,
    pub log: PathBuf,
}

pub fn setup() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = target_dir().join("host-tests");
        let xdg = root.join("xdg");
        let models_dir = xdg.join("deepmidi/models");
        std::fs::create_dir_all(&models_dir).unwrap();
        let tiny = models_dir.join(TEST_MODEL);
        if is_stale(&tiny.join("model.json")) {
            let _ = std::fs::remove_dir_all(&tiny);
            train_tiny_model(&root, &tiny);
        }
        let broken = models_dir.join(BROKEN_MODEL);
        std::fs::create_dir_all(&broken).unwrap();
        std::fs::write(broken.join("model.json"), "{ this is not a model").unwrap();
        for f in ["note.safetensors", "offset.safetensors"] {
            std::fs::write(broken.join(f), "nor is this").unwrap();
        }
        let log = root.join(format!("plugin-{}.log", std::process::id()));
        for old in std::fs::read_dir(&root)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
        {
            let name = old
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.starts_with("plugin-") && name.ends_with(".log") {
                let _ = std::fs::remove_file(old);
            }
        }
        // Set before any plugin is loaded; the tests of a process all share these values.
        std::env::set_var("XDG_DATA_HOME", &xdg);
        std::env::set_var("NICE_LOG", &log);
        Fixture { models_dir, log }
    })
}

/// Missing, or older than the `deepmidi` command (whose model format it may no longer match).
fn is_stale(meta: &Path) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    match (modified(meta), modified(&deepmidi_cli())) {
        (Some(model), Some(cli)) => model < cli,
        _ => true,
    }
}

/// Where the training corpus is: `$DEEPMIDI_TEST_CORPUS`, or the shared Irish corpus.
fn corpus_source() -> PathBuf {
    if let Some(dir) = std::env::var_os("DEEPMIDI_TEST_CORPUS") {
        return PathBuf::from(dir);
    }
    let shared = workspace_root().join("../shared/corpus/irish");
    assert!(
        shared.is_dir(),
        "no corpus to train the test model on: {} is missing (set DEEPMIDI_TEST_CORPUS to a folder of .mid files)",
        shared.display()
    );
    shared
}

/// Trains a 16-unit model for 30 steps on the first 16 files of the corpus (a few seconds),
/// into a scratch folder renamed into place, so a concurrent or interrupted run never leaves
/// half a model.
fn train_tiny_model(root: &Path, dest: &Path) {
    let corpus = root.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_source())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "mid" || x == "midi"))
        .collect();
    files.sort();
    for f in files.iter().take(16) {
        std::fs::copy(f, corpus.join(f.file_name().unwrap())).unwrap();
    }
    let scratch = root.join(format!("train-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let output = Command::new(deepmidi_cli())
        .args([
            "train",
            "--units",
            "16",
            "--embedding",
            "8",
            "--layers",
            "1",
            "--steps",
            "30",
        ])
        .args([
            "--checkpoint-every",
            "0",
            "--seq-len",
            "32",
            "--batch-size",
            "8",
            "--name",
            TEST_MODEL,
        ])
        .arg("--corpus")
        .arg(&corpus)
        .arg("--out")
        .arg(&scratch)
        .output()
        .expect("run deepmidi train");
    assert!(
        output.status.success(),
        "training the test model failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if std::fs::rename(&scratch, dest).is_err() {
        // Another process got there first.
        let _ = std::fs::remove_dir_all(&scratch);
        assert!(
            dest.join("model.json").is_file(),
            "no test model at {}",
            dest.display()
        );
    }
}
