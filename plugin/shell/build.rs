//! Embeds the shipped model sets into the plugin.
//!
//! Every subfolder of the workspace's `models/` folder that holds `model.json`,
//! `note.safetensors` and `offset.safetensors` becomes a built-in model (in alphabetical order
//! of folder names), included with `include_bytes!` through `$OUT_DIR/builtin_models.rs`.
//!
//! A folder's `eval.json` (`deepmidi eval`'s report), when it has one, is embedded too, for
//! the model's card.
//!
//! A missing `models/` folder, or a subfolder missing one of the three files, does not fail the
//! build: the plugin is built with whatever complete model sets exist (possibly none; it then
//! offers only the user's models), and cargo prints a warning naming what was left out. Set
//! `DEEPMIDI_REQUIRE_MODELS=irish,bach` to make a build fail unless those folders are complete
//! (release builds of the bundle should).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const FILES: [&str; 3] = ["model.json", "note.safetensors", "offset.safetensors"];
/// Embedded when present; a model without it is still complete.
const EVAL_FILE: &str = "eval.json";

fn main() {
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let models = manifest
        .ancestors()
        .nth(2)
        .expect("plugin/shell/ is two levels below the workspace")
        .join("models");
    println!("cargo:rerun-if-changed={}", models.display());
    println!("cargo:rerun-if-env-changed=DEEPMIDI_REQUIRE_MODELS");

    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut folders: Vec<PathBuf> = match std::fs::read_dir(&models) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => {
            println!(
                "cargo:warning=no {} folder: the plugin is built without built-in models",
                models.display()
            );
            Vec::new()
        }
    };
    folders.sort();
    for dir in folders {
        let Some(name) = dir.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
            continue;
        };
        let missing: Vec<&str> = FILES
            .iter()
            .copied()
            .filter(|f| !dir.join(f).is_file())
            .collect();
        if missing.is_empty() {
            found.push((name, dir));
        } else if missing.len() < FILES.len() {
            println!(
                "cargo:warning=built-in model {} left out: missing {}",
                dir.display(),
                missing.join(", ")
            );
        }
    }

    if let Ok(required) = std::env::var("DEEPMIDI_REQUIRE_MODELS") {
        for name in required.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !found.iter().any(|(n, _)| n == name) {
                panic!(
                    "DEEPMIDI_REQUIRE_MODELS names {name}, but {} does not hold {}",
                    models.join(name).display(),
                    FILES.join(", ")
                );
            }
        }
    }
    if found.is_empty() {
        println!(
            "cargo:warning=no complete model set in {}: no built-in models",
            models.display()
        );
    }

    let mut code = String::from("pub static BUILTIN_MODELS: &[BuiltinModel] = &[\n");
    for (name, dir) in &found {
        let file = |f: &str| path_literal(&dir.join(f));
        let eval = if dir.join(EVAL_FILE).is_file() {
            format!("Some(include_bytes!({}))", file(EVAL_FILE))
        } else {
            "None".to_owned()
        };
        writeln!(
            code,
            "    BuiltinModel {{ name: {name:?}, meta: include_bytes!({}), note: include_bytes!({}), offset: include_bytes!({}), eval: {eval} }},",
            file(FILES[0]),
            file(FILES[1]),
            file(FILES[2]),
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("builtin_models.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

fn path_literal(path: &Path) -> String {
    format!(
        "{:?}",
        path.to_str()
            .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
    )
}
