//! The release archive's `install.sh`, run from the folder `cargo xtask package` lays out
//! (staged here from the built bundles and command, as the package does), in a temporary
//! HOME: what it installs runs, and `--uninstall` leaves the HOME exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use xtask::package::{self, VERSION};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is in the workspace")
        .to_path_buf()
}

/// The archive's folder, staged under `dir`.
fn staged(dir: &Path) -> PathBuf {
    let root = root();
    let target = package::target_dir(&root);
    for built in ["release/deepmidi", "bundled/DeepMIDI.clap"] {
        assert!(
            target.join(built).is_file(),
            "{} is missing: run `cargo build --release -p deepmidi-cli` and \
             `cargo xtask bundle deepmidi-plugin --release` first",
            target.join(built).display()
        );
    }
    package::stage(&root, &target, dir).expect("stage the archive's folder")
}

/// Every file and folder under `dir`: its kind and, for files, its size and mode.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(base: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            if meta.is_dir() {
                into.insert(rel, "dir".into());
                walk(base, &path, into);
            } else {
                use std::os::unix::fs::PermissionsExt;
                let mode = meta.permissions().mode();
                into.insert(rel, format!("file {} bytes, mode {mode:o}", meta.len()));
            }
        }
    }
    let mut all = BTreeMap::new();
    walk(dir, dir, &mut all);
    all
}

fn install_sh(folder: &Path, home: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg(folder.join("install.sh"))
        .args(args)
        .env("HOME", home)
        .env_remove("XDG_DATA_HOME")
        .output()
        .expect("run sh install.sh")
}

fn assert_ok(output: &Output, what: &str) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn uninstall_leaves_the_home_as_it_was() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = staged(tmp.path());
    let home = tmp.path().join("home");
    // A musician's HOME with other plugins, a model of their own and a bin folder already.
    for dir in [
        ".clap",
        ".vst3/Other.vst3",
        ".local/bin",
        ".local/share/deepmidi/models/mine",
    ] {
        std::fs::create_dir_all(home.join(dir)).unwrap();
    }
    std::fs::write(home.join(".clap/Other.clap"), b"another plugin").unwrap();
    std::fs::write(
        home.join(".local/share/deepmidi/models/mine/model.json"),
        b"{}",
    )
    .unwrap();
    let before = snapshot(&home);

    let installed = install_sh(&folder, &home, &[]);
    assert_ok(&installed, "install.sh");
    for path in [
        ".clap/DeepMIDI.clap",
        ".vst3/DeepMIDI.vst3/Contents/x86_64-linux/DeepMIDI.so",
        ".local/share/deepmidi/shipped-models/irish/model.json",
        ".local/share/deepmidi/shipped-models/bach/note.safetensors",
        ".local/share/deepmidi/shipped-models/DATA-LICENSES.md",
    ] {
        assert!(home.join(path).is_file(), "{path} was not installed");
    }
    let version = Command::new(home.join(".local/bin/deepmidi"))
        .arg("--version")
        .output()
        .expect("run the installed deepmidi");
    assert_ok(&version, "deepmidi --version");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("deepmidi {VERSION}")
    );
    // Installing again over the first install (an upgrade) still uninstalls cleanly.
    assert_ok(&install_sh(&folder, &home, &[]), "install.sh again");
    assert_ne!(snapshot(&home), before);

    assert_ok(
        &install_sh(&folder, &home, &["--uninstall"]),
        "install.sh --uninstall",
    );
    assert_eq!(snapshot(&home), before, "--uninstall left the HOME changed");

    // In an empty HOME, the folders it made go too.
    let empty = tmp.path().join("empty-home");
    std::fs::create_dir(&empty).unwrap();
    assert_ok(
        &install_sh(&folder, &empty, &[]),
        "install.sh in an empty HOME",
    );
    assert!(empty.join(".local/bin/deepmidi").is_file());
    assert_ok(
        &install_sh(&folder, &empty, &["--uninstall"]),
        "--uninstall",
    );
    assert_eq!(
        snapshot(&empty),
        BTreeMap::new(),
        "left behind in an empty HOME"
    );
}

#[test]
fn install_refuses_a_folder_it_cannot_write_and_changes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let folder = staged(tmp.path());
    // Nothing can be created in /proc, not even by root (whom file modes do not stop).
    let refused = install_sh(&folder, Path::new("/proc"), &[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to /proc (for /proc/.clap)"),
        "{stderr}"
    );
    assert!(!Path::new("/proc/.clap").exists());
}
