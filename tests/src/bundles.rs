//! Where the bundles under test are. Nothing here builds them: a missing bundle is a test
//! failure that says which command makes it.

use std::path::PathBuf;

/// The workspace root (this crate lives in `tests/`).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().expect("tests/ has a parent").to_path_buf()
}

/// `$CARGO_TARGET_DIR` (relative to the workspace root), or `target/`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

const BUNDLE_COMMAND: &str = "cargo xtask bundle deepmidi-plugin --release";
const CLI_COMMAND: &str = "cargo build --release -p deepmidi-cli";
const ALLOC_CHECK_COMMAND: &str = "cargo xtask bundle-alloc-check";
const PANIC_CHECK_COMMAND: &str = "cargo xtask bundle-panic-check";

fn require(path: PathBuf, command: &str) -> PathBuf {
    assert!(
        path.is_file(),
        "{} is missing: run `{command}` first",
        path.display()
    );
    path
}

/// The release CLAP bundle (on Linux, the library itself).
pub fn clap_library() -> PathBuf {
    require(target_dir().join("bundled/DeepMIDI.clap"), BUNDLE_COMMAND)
}

/// The library inside the release VST3 bundle.
pub fn vst3_library() -> PathBuf {
    require(
        target_dir().join("bundled").join(vst3_library_path()),
        BUNDLE_COMMAND,
    )
}

/// The library's path inside a Linux VST3 bundle's folder.
fn vst3_library_path() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "x86_64-linux",
        "aarch64" => "aarch64-linux",
        "x86" => "i386-linux",
        other => panic!("no VST3 bundle layout known for {other}"),
    };
    format!("DeepMIDI.vst3/Contents/{arch}/DeepMIDI.so")
}

/// The VST3 bundle folder (what pedalboard and DAWs are given).
pub fn vst3_bundle() -> PathBuf {
    let library = vst3_library();
    library
        .ancestors()
        .nth(3)
        .expect("bundle layout")
        .to_path_buf()
}

/// The debug CLAP build with `assert_process_allocs` (see `cargo xtask bundle-alloc-check`).
pub fn alloc_check_clap_library() -> PathBuf {
    require(
        target_dir().join("alloc-check/DeepMIDI.clap"),
        ALLOC_CHECK_COMMAND,
    )
}

/// The debug CLAP build with `inject_panic` (see `cargo xtask bundle-panic-check`).
pub fn panic_check_clap_library() -> PathBuf {
    require(
        target_dir().join("panic-check/DeepMIDI.clap"),
        PANIC_CHECK_COMMAND,
    )
}

/// The library inside the debug VST3 build with `inject_panic`.
pub fn panic_check_vst3_library() -> PathBuf {
    require(
        target_dir().join("panic-check").join(vst3_library_path()),
        PANIC_CHECK_COMMAND,
    )
}

/// The release `deepmidi` command line.
pub fn deepmidi_cli() -> PathBuf {
    require(target_dir().join("release/deepmidi"), CLI_COMMAND)
}
