//! `cargo xtask`: nice-plug's bundler, plus `install` and `bundle-alloc-check`.
//!
//! - `cargo xtask bundle deepmidi-plugin --release` builds target/bundled/DeepMIDI.clap and
//!   target/bundled/DeepMIDI.vst3 (names from bundler.toml).
//! - `cargo xtask install [--clap-dir DIR] [--vst3-dir DIR]` copies those bundles to ~/.clap
//!   and ~/.vst3 (or the given folders), replacing older copies.
//! - `cargo xtask bundle-alloc-check` builds a debug CLAP with `assert_process_allocs` (nice-plug
//!   only checks in debug builds) into target/alloc-check/DeepMIDI.clap, beside the release
//!   bundles rather than over them. It shares the debug build folder, so it only rebuilds the
//!   plugin crate.
//! - `cargo xtask bundle-panic-check` builds a debug CLAP and VST3 with `inject_panic` (a
//!   note-on on channel 16, key 0, velocity 1 panics inside the engine's player) into
//!   target/panic-check/, for the host tests of what a panic caught at the plugin's boundary
//!   leaves. Not with the allocation checks: a panic allocates. Release bundles never have it.
//! - `cargo xtask package [--check]` builds the release a musician installs without Rust: an
//!   archive and a Debian package, for glibc 2.31 and newer (see `package.rs`).

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

const BUNDLE_NAME: &str = "DeepMIDI";
/// The plugin crate: the package nice-plug's bundler bundles.
const PLUGIN_PACKAGE: &str = "deepmidi-plugin";

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Bundles and installs the DeepMIDI plugin"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Copies the bundles in target/bundled to the folders Linux hosts scan.
    Install {
        /// Where the CLAP bundle goes (default ~/.clap).
        #[arg(long, value_name = "DIR")]
        clap_dir: Option<PathBuf>,
        /// Where the VST3 bundle goes (default ~/.vst3).
        #[arg(long, value_name = "DIR")]
        vst3_dir: Option<PathBuf>,
    },
    /// Builds the debug CLAP with allocation checks (target/alloc-check/DeepMIDI.clap).
    BundleAllocCheck {
        /// More `cargo build` arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cargo_args: Vec<String>,
    },
    /// Builds the debug CLAP and VST3 that panic on a note (target/panic-check/).
    BundlePanicCheck {
        /// More `cargo build` arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        cargo_args: Vec<String>,
    },
    /// Builds the release archive and Debian package (target/package/).
    Package {
        /// Then installs both in a fresh Debian 11 root without Rust and checks them (root,
        /// debootstrap, network to Debian's packages and PyPI).
        #[arg(long)]
        check: bool,
    },
    /// Anything else goes to nice-plug's bundler (`bundle PACKAGE --release`, ...).
    #[command(external_subcommand)]
    Bundler(Vec<String>),
}

fn main() -> nice_plug_xtask::Result<()> {
    match Cli::parse().command {
        Command::Install { clap_dir, vst3_dir } => install(clap_dir, vst3_dir),
        Command::BundleAllocCheck { cargo_args } => bundle_alloc_check(&cargo_args),
        Command::BundlePanicCheck { cargo_args } => bundle_panic_check(&cargo_args),
        Command::Package { check } => {
            nice_plug_xtask::chdir_workspace_root()?;
            let root = std::env::current_dir()?;
            xtask::package::package(&root, check)
        }
        Command::Bundler(args) => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}

fn install(clap_dir: Option<PathBuf>, vst3_dir: Option<PathBuf>) -> nice_plug_xtask::Result<()> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let clap_dir = clap_dir.or_else(|| home.as_ref().map(|h| h.join(".clap")));
    let vst3_dir = vst3_dir.or_else(|| home.as_ref().map(|h| h.join(".vst3")));
    let (Some(clap_dir), Some(vst3_dir)) = (clap_dir, vst3_dir) else {
        return Err(anyhow(
            "HOME is not set: give --clap-dir and --vst3-dir".into(),
        ));
    };

    nice_plug_xtask::chdir_workspace_root()?;
    let bundled = target_dir().join("bundled");
    for (bundle, dest_dir) in [
        (format!("{BUNDLE_NAME}.clap"), clap_dir),
        (format!("{BUNDLE_NAME}.vst3"), vst3_dir),
    ] {
        let from = bundled.join(&bundle);
        if !from.exists() {
            return Err(anyhow(format!(
                "{} is missing: run `cargo xtask bundle {PLUGIN_PACKAGE} --release` first",
                from.display()
            )));
        }
        let to = dest_dir.join(&bundle);
        std::fs::create_dir_all(&dest_dir)
            .map_err(|e| anyhow(format!("{}: {e}", dest_dir.display())))?;
        remove(&to)?;
        copy(&from, &to)?;
        eprintln!("Installed {}", to.display());
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    xtask::package::target_dir(Path::new(""))
}

fn bundle_alloc_check(args: &[String]) -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let library = build_debug_library("assert_process_allocs", args)?;
    let dest_dir = target_dir().join("alloc-check");
    let dest = dest_dir.join(format!("{BUNDLE_NAME}.clap"));
    create_dir(&dest_dir)?;
    copy(&library, &dest)?;
    eprintln!(
        "Created a debug CLAP with allocation checks at '{}'",
        dest.display()
    );
    Ok(())
}

fn bundle_panic_check(args: &[String]) -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let library = build_debug_library("inject_panic", args)?;
    let dest_dir = target_dir().join("panic-check");
    // One library is both plugins: on Linux a CLAP bundle is the library itself, and a VST3
    // bundle a folder with the library under the architecture's name.
    let clap = dest_dir.join(format!("{BUNDLE_NAME}.clap"));
    let vst3 = dest_dir.join(format!("{BUNDLE_NAME}.vst3"));
    let vst3_library = vst3
        .join("Contents")
        .join(xtask::package::vst3_arch()?)
        .join(format!("{BUNDLE_NAME}.so"));
    remove(&vst3)?;
    create_dir(vst3_library.parent().expect("the library is in a folder"))?;
    copy(&library, &clap)?;
    copy(&library, &vst3_library)?;
    eprintln!(
        "Created a debug CLAP and VST3 that panic on a note at '{}' and '{}'",
        clap.display(),
        vst3.display()
    );
    Ok(())
}

/// Builds the plugin's debug library with `feature` and returns where cargo put it. The
/// caller copies it at once: other debug builds of the crate (with other features) write
/// the same file. They share the debug build folder, so a feature only rebuilds the crates
/// it changes.
fn build_debug_library(feature: &str, args: &[String]) -> nice_plug_xtask::Result<PathBuf> {
    let output = std::process::Command::new("cargo")
        .args([
            "build",
            "-p",
            PLUGIN_PACKAGE,
            "--lib",
            "--features",
            feature,
        ])
        .args(["--message-format", "json-render-diagnostics"])
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| anyhow(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        return Err(anyhow(format!("building the plugin with {feature} failed")));
    }
    // The cdylib's path from cargo's artifact message.
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter(|l| {
            l.contains("\"reason\":\"compiler-artifact\"")
                && l.contains(&format!(
                    "\"name\":\"{}\"",
                    PLUGIN_PACKAGE.replace('-', "_")
                ))
                && l.contains("\"cdylib\"")
        })
        .flat_map(|l| l.split('"'))
        .find(|s| s.ends_with(".so") || s.ends_with(".dylib") || s.ends_with(".dll"))
        .map(PathBuf::from)
        .ok_or_else(|| anyhow(format!("cargo reported no cdylib for {PLUGIN_PACKAGE}")))
}

fn create_dir(dir: &Path) -> nice_plug_xtask::Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| anyhow(format!("{}: {e}", dir.display())))
}

fn remove(path: &Path) -> nice_plug_xtask::Result<()> {
    let result = match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(_) => Ok(()),
    };
    result.map_err(|e| anyhow(format!("{}: {e}", path.display())))
}

fn copy(from: &Path, to: &Path) -> nice_plug_xtask::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to).map_err(|e| anyhow(format!("{}: {e}", to.display())))?;
        let entries =
            std::fs::read_dir(from).map_err(|e| anyhow(format!("{}: {e}", from.display())))?;
        for entry in entries {
            let entry = entry.map_err(|e| anyhow(format!("{}: {e}", from.display())))?;
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .map_err(|e| anyhow(format!("{} -> {}: {e}", from.display(), to.display())))
    }
}

fn anyhow(message: String) -> anyhow::Error {
    anyhow::Error::msg(message)
}
