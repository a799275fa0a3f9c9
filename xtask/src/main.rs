//! `cargo xtask`: nice-plug's bundler, plus `install`.
//!
//! - `cargo xtask bundle deepmidi --release` builds target/bundled/DeepMIDI.clap and
//!   target/bundled/DeepMIDI.vst3 (names from bundler.toml).
//! - `cargo xtask install [--clap-dir DIR] [--vst3-dir DIR]` copies those bundles to ~/.clap
//!   and ~/.vst3 (or the given folders), replacing older copies.
//! - `cargo xtask bundle-alloc-check` builds a debug CLAP with `assert_process_allocs` (nice-plug
//!   only checks in debug builds) into target/alloc-check/DeepMIDI.clap, beside the release
//!   bundles rather than over them. It shares the debug build folder, so it only rebuilds the
//!   plugin crate.

use std::path::{Path, PathBuf};

const BUNDLE_NAME: &str = "DeepMIDI";

fn main() -> nice_plug_xtask::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("install") => install(&args[1..]),
        Some("bundle-alloc-check") => bundle_alloc_check(&args[1..]),
        _ => nice_plug_xtask::main_with_args("cargo xtask", args),
    }
}

fn install(args: &[String]) -> nice_plug_xtask::Result<()> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut clap_dir = home.as_ref().map(|h| h.join(".clap"));
    let mut vst3_dir = home.as_ref().map(|h| h.join(".vst3"));
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let value = || {
            rest.clone()
                .next()
                .map(PathBuf::from)
                .ok_or_else(|| anyhow(format!("{arg} needs a folder")))
        };
        match arg.as_str() {
            "--clap-dir" => clap_dir = Some(value()?),
            "--vst3-dir" => vst3_dir = Some(value()?),
            _ => return Err(anyhow(format!("unknown argument {arg}\n\nUsage:\n  cargo xtask install [--clap-dir DIR] [--vst3-dir DIR]"))),
        }
        rest.next();
    }
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
                "{} is missing: run `cargo xtask bundle deepmidi --release` first",
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
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| "target".into())
}

fn bundle_alloc_check(args: &[String]) -> nice_plug_xtask::Result<()> {
    nice_plug_xtask::chdir_workspace_root()?;
    let output = std::process::Command::new("cargo")
        .args([
            "build",
            "-p",
            "deepmidi",
            "--lib",
            "--features",
            "assert_process_allocs",
        ])
        .args(["--message-format", "json-render-diagnostics"])
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| anyhow(format!("cannot run cargo: {e}")))?;
    if !output.status.success() {
        return Err(anyhow("building the alloc-check plugin failed".into()));
    }
    // The cdylib's path from cargo's artifact message. It is copied at once: other debug
    // builds of the crate (without the feature) write the same file.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let library = stdout
        .lines()
        .filter(|l| {
            l.contains("\"reason\":\"compiler-artifact\"")
                && l.contains("\"name\":\"deepmidi\"")
                && l.contains("\"cdylib\"")
        })
        .flat_map(|l| l.split('"'))
        .find(|s| s.ends_with(".so") || s.ends_with(".dylib") || s.ends_with(".dll"))
        .ok_or_else(|| anyhow("cargo reported no cdylib for deepmidi".into()))?;
    let dest_dir = target_dir().join("alloc-check");
    std::fs::create_dir_all(&dest_dir)
        .map_err(|e| anyhow(format!("{}: {e}", dest_dir.display())))?;
    let dest = dest_dir.join(format!("{BUNDLE_NAME}.clap"));
    copy(Path::new(library), &dest)?;
    eprintln!(
        "Created a debug CLAP with allocation checks at '{}'",
        dest.display()
    );
    Ok(())
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
