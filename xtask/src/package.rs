//! `cargo xtask package [--check]`: the release a musician installs without Rust.
//!
//! It builds the `deepmidi` command and the plugin bundles with the glibc 2.31 linker
//! (`xtask/release/glibc-2.31-cc`), refuses any shipped ELF file that needs a newer glibc,
//! regenerates the third-party notices from `Cargo.lock`, and writes
//! `target/package/DeepMIDI-<version>-linux-x86_64.tar.gz` and
//! `target/package/deepmidi_<version>_amd64.deb`. `--check` then installs both in a fresh
//! Debian 11 root without Rust (`xtask/release/cleanroom.sh`).
//!
//! setup.sh and CI build with the same linker, so the tests load exactly what ships and the
//! package step finds everything already built.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The workspace's one version: the xtask's own package version is `version.workspace`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The newest glibc a shipped binary may need: Debian 11's (Ubuntu 20.04 has the same).
pub const GLIBC_MAX: (u32, u32) = (2, 31);
/// The linker and C compiler of the builds that ship, relative to the workspace root.
pub const LINKER: &str = "xtask/release/glibc-2.31-cc";
/// The libraries the plugin's window opens with `dlopen` (so no ELF file names them), with
/// the Debian packages that hold them: the `.deb` depends on these packages and the clean
/// room checks that each library is found.
pub const WINDOW_LIBRARIES: &[(&str, &str)] = &[
    ("libx11-6", "libX11.so.6"),
    ("libx11-xcb1", "libX11-xcb.so.1"),
    ("libxcb1", "libxcb.so.1"),
    ("libxkbcommon0", "libxkbcommon.so.0"),
    ("libxkbcommon-x11-0", "libxkbcommon-x11.so.0"),
    ("libgl1", "libGL.so.1"),
    ("libegl1", "libEGL.so.1"),
];
/// The built-in models, shipped for `deepmidi generate` (the plugin embeds them too).
const MODELS: &[&str] = &["irish", "bach"];
/// The generated notices, committed at the top of the repository.
pub const NOTICES: &str = "THIRD-PARTY-NOTICES.md";

/// The archive's name, without `.tar.gz`: also its top folder.
pub fn archive_stem() -> String {
    format!("DeepMIDI-{VERSION}-linux-x86_64")
}

/// The folder holding a Linux VST3 bundle's library, for this machine's architecture.
pub fn vst3_arch() -> Result<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Ok("x86_64-linux"),
        "aarch64" => Ok("aarch64-linux"),
        other => bail!("no VST3 bundle layout known for {other}"),
    }
}

/// The target folder (`$CARGO_TARGET_DIR` or `target`), relative to the workspace root.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Points cargo's linker and the C compiler for x86_64 Linux at [`LINKER`], unless the
/// caller (setup.sh, CI) already did: cargo fingerprints the linker, so the value must be the
/// caller's own for its builds to count as up to date here.
pub fn use_release_linker(root: &Path) {
    let linker = root.join(LINKER);
    for var in [
        "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER",
        "CC_x86_64_unknown_linux_gnu",
    ] {
        if std::env::var_os(var).is_none() {
            // SAFETY: the xtask is single-threaded here; children inherit the variable.
            unsafe { std::env::set_var(var, &linker) };
        }
    }
}

pub fn package(root: &Path, check: bool) -> Result<()> {
    if std::env::consts::OS != "linux" || std::env::consts::ARCH != "x86_64" {
        bail!("the release is built on x86_64 Linux");
    }
    let started = Instant::now();
    use_release_linker(root);
    build(root)?;
    let target = target_dir(root);
    let elves = shipped_elves(&target)?;
    let mut newest = (0, 0);
    for elf in &elves {
        let needed = newest_glibc(elf)?;
        eprintln!("{}: needs glibc {}.{}", elf.display(), needed.0, needed.1);
        if needed > GLIBC_MAX {
            bail!(
                "{} needs glibc {}.{}, above {}.{}: build it with {LINKER} as the linker",
                elf.display(),
                needed.0,
                needed.1,
                GLIBC_MAX.0,
                GLIBC_MAX.1
            );
        }
        newest = newest.max(needed);
    }
    eprintln!(
        "The newest glibc symbol version any shipped file needs: GLIBC_{}.{}",
        newest.0, newest.1
    );
    generate_notices(root)?;

    let out = target.join("package");
    std::fs::create_dir_all(&out)?;
    let staged = stage(root, &target, &out)?;
    let archive = out.join(format!("{}.tar.gz", archive_stem()));
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-czf",
        ])
        .arg(&archive)
        .arg("-C")
        .arg(&out)
        .arg(archive_stem()))?;
    std::fs::remove_dir_all(&staged)?;
    let deb = build_deb(root, &target, &out, newest)?;
    eprintln!(
        "Wrote {} ({} bytes) and {} ({} bytes) in {:.0} s",
        archive.display(),
        std::fs::metadata(&archive)?.len(),
        deb.display(),
        std::fs::metadata(&deb)?.len(),
        started.elapsed().as_secs_f64()
    );
    if check {
        let started = Instant::now();
        clean_room(root, &out, &deb, &archive)?;
        eprintln!(
            "The clean-room check passed in {:.0} s",
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

/// The same two builds as setup.sh and CI (the command line, then the bundles), so that
/// after theirs nothing is built again.
fn build(root: &Path) -> Result<()> {
    run(Command::new("cargo").current_dir(root).args([
        "build",
        "--release",
        "-p",
        "deepmidi-cli",
    ]))?;
    nice_plug_xtask::main_with_args(
        "cargo xtask",
        ["bundle", "deepmidi-plugin", "--release"].map(String::from),
    )
}

/// Every ELF file that ships: the command line and the plugin libraries.
fn shipped_elves(target: &Path) -> Result<Vec<PathBuf>> {
    let elves = vec![
        target.join("release/deepmidi"),
        target.join("bundled/DeepMIDI.clap"),
        target
            .join("bundled/DeepMIDI.vst3/Contents")
            .join(vst3_arch()?)
            .join("DeepMIDI.so"),
    ];
    for elf in &elves {
        if !elf.is_file() {
            bail!("{} was not built", elf.display());
        }
    }
    Ok(elves)
}

/// The newest `GLIBC_x.y` version an ELF file's version references name (`objdump -p`).
pub fn newest_glibc(elf: &Path) -> Result<(u32, u32)> {
    let output = Command::new("objdump")
        .arg("-p")
        .arg(elf)
        .output()
        .context("cannot run objdump (binutils)")?;
    if !output.status.success() {
        bail!(
            "objdump -p {} failed: {}",
            elf.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(glibc_versions(&String::from_utf8_lossy(&output.stdout))
        .max()
        .unwrap_or((0, 0)))
}

/// The `GLIBC_x.y[.z]` versions named in `text`, as (x, y).
fn glibc_versions(text: &str) -> impl Iterator<Item = (u32, u32)> + '_ {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == '@')
        .filter_map(|word| word.strip_prefix("GLIBC_"))
        .filter_map(|version| {
            let mut parts = version.split('.').map(|p| p.parse::<u32>().ok());
            Some((parts.next()??, parts.next()??))
        })
}

/// Regenerates [`NOTICES`] from `Cargo.lock` with cargo-about, offline, from the licence
/// files in the crates themselves. cargo-about reads one package or the whole workspace: the
/// whole one (a superset of what ships, with the test hosts' and the xtask's crates) keeps it
/// to one run and one file.
pub fn generate_notices(root: &Path) -> Result<()> {
    let mut command = Command::new("cargo");
    command
        .current_dir(root)
        .args(["about", "generate", "--frozen", "--fail", "--workspace"])
        .args(["-c", "xtask/release/about.toml"])
        .args(["-o", NOTICES])
        .arg("xtask/release/notices.hbs");
    run(&mut command).context("regenerating the notices needs cargo-about: cargo install --locked cargo-about --version 0.9.3 --features cli")
}

/// Lays out the archive's folder under `out` from the built files and the repository's
/// documents; returns it. The install test stages the same folder.
pub fn stage(root: &Path, target: &Path, out: &Path) -> Result<PathBuf> {
    let dir = out.join(archive_stem());
    remove(&dir)?;
    std::fs::create_dir_all(dir.join("models"))?;
    let bundled = target.join("bundled");
    copy(&bundled.join("DeepMIDI.clap"), &dir.join("DeepMIDI.clap"))?;
    copy(&bundled.join("DeepMIDI.vst3"), &dir.join("DeepMIDI.vst3"))?;
    copy(&target.join("release/deepmidi"), &dir.join("deepmidi"))?;
    for model in MODELS {
        copy(
            &root.join("models").join(model),
            &dir.join("models").join(model),
        )?;
    }
    copy(
        &root.join("models/DATA-LICENSES.md"),
        &dir.join("models/DATA-LICENSES.md"),
    )?;
    for doc in ["LICENSE", "CHANGELOG.md", NOTICES] {
        copy(&root.join(doc), &dir.join(doc))?;
    }
    copy(
        &root.join("xtask/release/README.md"),
        &dir.join("README.md"),
    )?;
    copy(
        &root.join("xtask/release/install.sh"),
        &dir.join("install.sh"),
    )?;
    Ok(dir)
}

/// The Debian package: the plugins in /usr/lib/clap and /usr/lib/vst3, the command in
/// /usr/bin, the models and documents under /usr/share; `glibc` is the newest version its
/// files need.
fn build_deb(root: &Path, target: &Path, out: &Path, glibc: (u32, u32)) -> Result<PathBuf> {
    let name = format!("deepmidi_{VERSION}_amd64");
    let tree = out.join(&name);
    remove(&tree)?;
    let bundled = target.join("bundled");
    let usr = tree.join("usr");
    for dir in [
        "bin",
        "lib/clap",
        "lib/vst3",
        "share/deepmidi/shipped-models",
        "share/doc/deepmidi",
    ] {
        std::fs::create_dir_all(usr.join(dir))?;
    }
    copy(&target.join("release/deepmidi"), &usr.join("bin/deepmidi"))?;
    copy(
        &bundled.join("DeepMIDI.clap"),
        &usr.join("lib/clap/DeepMIDI.clap"),
    )?;
    copy(
        &bundled.join("DeepMIDI.vst3"),
        &usr.join("lib/vst3/DeepMIDI.vst3"),
    )?;
    let models = usr.join("share/deepmidi/shipped-models");
    for model in MODELS {
        copy(&root.join("models").join(model), &models.join(model))?;
    }
    copy(
        &root.join("models/DATA-LICENSES.md"),
        &models.join("DATA-LICENSES.md"),
    )?;
    let doc = usr.join("share/doc/deepmidi");
    copy(&root.join("LICENSE"), &doc.join("copyright"))?;
    copy(&root.join(NOTICES), &doc.join(NOTICES))?;
    copy(&root.join("CHANGELOG.md"), &doc.join("CHANGELOG.md"))?;
    copy(
        &root.join("xtask/release/README.md"),
        &doc.join("README.md"),
    )?;

    let elves = [
        usr.join("bin/deepmidi"),
        usr.join("lib/clap/DeepMIDI.clap"),
        usr.join("lib/vst3/DeepMIDI.vst3/Contents")
            .join(vst3_arch()?)
            .join("DeepMIDI.so"),
    ];
    let depends = depends(&elves, glibc)?;
    let installed_kib = disk_usage_kib(&usr)?;
    std::fs::create_dir_all(tree.join("DEBIAN"))?;
    std::fs::write(
        tree.join("DEBIAN/control"),
        format!(
            "Package: deepmidi\n\
             Version: {VERSION}\n\
             Architecture: amd64\n\
             Maintainer: DeepMIDI developers <deepmidi@users.noreply.invalid>\n\
             Section: sound\n\
             Priority: optional\n\
             Installed-Size: {installed_kib}\n\
             Depends: {depends}\n\
             Description: neural MIDI generator: CLAP and VST3 plugin and command line\n \
             DeepMIDI writes music in the style of the MIDI files it learned from, as a\n \
             MIDI generator inside a DAW (CLAP and VST3) or as files from the deepmidi\n \
             command, which also trains new models.\n"
        ),
    )?;
    let deb = out.join(format!("{name}.deb"));
    run(Command::new("dpkg-deb")
        .args(["--build", "--root-owner-group", "-Zxz"])
        .arg(&tree)
        .arg(&deb))?;
    std::fs::remove_dir_all(&tree)?;
    Ok(deb)
}

/// The Debian packages of the libraries a shipped ELF file may link (`NEEDED`). glibc's are
/// one package, libc6, at the newest `GLIBC_` version the files need. dpkg-shlibdeps is not
/// used: it answers from the build machine's libc6 symbol list, which since glibc 2.34 puts
/// libpthread's and libdl's symbols in libc and so asks for libc6 2.34 or newer, while the
/// files link glibc 2.31's separate libraries.
const LINKED_LIBRARIES: &[(&str, &str)] = &[
    ("libc.so.6", "libc6"),
    ("libm.so.6", "libc6"),
    ("libpthread.so.0", "libc6"),
    ("libdl.so.2", "libc6"),
    ("librt.so.1", "libc6"),
    ("ld-linux-x86-64.so.2", "libc6"),
    ("libgcc_s.so.1", "libgcc-s1"),
];

/// The `Depends` line: the packages of the libraries the files link, then the window's
/// libraries, which no file names.
fn depends(elves: &[PathBuf], glibc: (u32, u32)) -> Result<String> {
    let mut all: Vec<String> = Vec::new();
    for elf in elves {
        for needed in needed_libraries(elf)? {
            let Some((_, package)) = LINKED_LIBRARIES.iter().find(|(so, _)| *so == needed) else {
                bail!(
                    "{} links {needed}, which has no Debian package in LINKED_LIBRARIES",
                    elf.display()
                );
            };
            let dependency = match *package {
                "libc6" => format!("libc6 (>= {}.{})", glibc.0, glibc.1),
                other => other.to_owned(),
            };
            if !all.contains(&dependency) {
                all.push(dependency);
            }
        }
    }
    all.extend(
        WINDOW_LIBRARIES
            .iter()
            .map(|(package, _)| package.to_string()),
    );
    Ok(all.join(", "))
}

/// The libraries an ELF file names as `NEEDED` (`objdump -p`).
fn needed_libraries(elf: &Path) -> Result<Vec<String>> {
    let output = Command::new("objdump").arg("-p").arg(elf).output()?;
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("NEEDED"))
        .map(|so| so.trim().to_owned())
        .collect())
}

fn disk_usage_kib(dir: &Path) -> Result<u64> {
    let output = Command::new("du").args(["-sk"]).arg(dir).output()?;
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .context("du printed no size")
}

/// `xtask/release/cleanroom.sh` as root: a fresh Debian 11 root, the `.deb` and the archive
/// installed in it, and the checks.
fn clean_room(root: &Path, out: &Path, deb: &Path, archive: &Path) -> Result<()> {
    let sonames: Vec<&str> = WINDOW_LIBRARIES.iter().map(|(_, so)| *so).collect();
    run(Command::new("bash")
        .arg(root.join("xtask/release/cleanroom.sh"))
        .arg(out.join("cleanroom"))
        .arg(deb)
        .arg(archive)
        .arg(archive_stem())
        .arg(VERSION)
        .arg(sonames.join(" "))
        .arg(root.join("xtask/release/pedalboard_check.py")))
    .context("the clean-room check failed")
}

fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(path)?,
        Ok(_) => std::fs::remove_file(path)?,
        Err(_) => {}
    }
    Ok(())
}

/// Copies a file (keeping its permissions) or a folder's whole tree.
fn copy(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
            let entry = entry?;
            copy(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to)
            .map(|_| ())
            .with_context(|| format!("{} -> {}", from.display(), to.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_versions_are_read_from_objdump_output() {
        let text = "Version References:\n  required from libc.so.6:\n    0x06969194 0x00 07 GLIBC_2.14\n    0x0d696914 0x00 05 GLIBC_2.4\n    0x09691a75 0x00 02 GLIBC_2.2.5\n  required from libgcc_s.so.1:\n    0x0b792650 0x00 03 GCC_3.0\n    0x0d696914 0x00 06 GLIBC_2.31\n";
        let versions: Vec<_> = glibc_versions(text).collect();
        assert_eq!(versions, [(2, 14), (2, 4), (2, 2), (2, 31)]);
        assert_eq!(glibc_versions(text).max(), Some((2, 31)));
        assert!((2, 34) > GLIBC_MAX && (2, 4) < GLIBC_MAX);
    }
}
