//! Embeds the shipped model sets into the plugin.
//!
//! Every subfolder of the workspace's `models/` folder that holds `model.json` and weights
//! files (`*.safetensors`, one per stream) becomes a built-in model (in alphabetical order of
//! folder names), included with `include_bytes!` through `$OUT_DIR/builtin_models.rs`. Which
//! streams a model needs is the engine's business: it finds each stream's file by name when it
//! loads the model, so this script lists none.
//!
//! A folder's `eval.json` (`deepmidi eval`'s report), when it has one, is embedded too, for
//! the model's card.
//!
//! A missing `models/` folder, or a subfolder missing `model.json` or weights, does not fail the
//! build: the plugin is built with whatever complete model sets exist (possibly none; it then
//! offers only the user's models), and cargo prints a warning naming what was left out. Set
//! `DEEPMIDI_REQUIRE_MODELS=irish,bach` to make a build fail unless those folders are complete
//! (release builds of the bundle should).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const META_FILE: &str = "model.json";
const WEIGHTS_EXTENSION: &str = "safetensors";
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
        let has_meta = dir.join(META_FILE).is_file();
        let has_weights = !weights_files(&dir).is_empty();
        if has_meta && has_weights {
            found.push((name, dir));
        } else if has_meta || has_weights {
            println!(
                "cargo:warning=built-in model {} left out: missing {}",
                dir.display(),
                if has_meta { "weights" } else { META_FILE }
            );
        }
    }

    if let Ok(required) = std::env::var("DEEPMIDI_REQUIRE_MODELS") {
        for name in required.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !found.iter().any(|(n, _)| n == name) {
                panic!(
                    "DEEPMIDI_REQUIRE_MODELS names {name}, but {} does not hold {META_FILE} and weights",
                    models.join(name).display(),
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
        let weights: Vec<String> = weights_files(dir)
            .iter()
            .map(|f| format!("({f:?}, include_bytes!({}))", file(f)))
            .collect();
        writeln!(
            code,
            "    BuiltinModel {{ name: {name:?}, meta: include_bytes!({}), weights: &[{}], eval: {eval} }},",
            file(META_FILE),
            weights.join(", "),
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("builtin_models.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
}

/// The names of a folder's weights files, sorted.
fn weights_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .filter(|p| p.extension().is_some_and(|x| x == WEIGHTS_EXTENSION))
                .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn path_literal(path: &Path) -> String {
    format!(
        "{:?}",
        path.to_str()
            .unwrap_or_else(|| panic!("{} is not UTF-8", path.display()))
    )
}
