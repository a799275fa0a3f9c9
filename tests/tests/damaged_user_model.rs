//! A damaged model set shared by another musician, in the user model folder: the bundles
//! load every user model on activation, so before model files were checked, a `model.json`
//! claiming 1,000,000,000 layers aborted the host (a 3 GB allocation) whatever model was
//! selected. Now the host keeps running, the built-in models play, and selecting the damaged
//! model plays the fallback built-in model while the log names the file and what is wrong.
//!
//! This process has its own `XDG_DATA_HOME` (not the fixture's): its model folder holds only
//! the damaged sets, made from the shipped Irish model's files.

use deepmidi_host_tests::bundles::{clap_library, target_dir, vst3_library, workspace_root};
use deepmidi_host_tests::capture::{assert_same_notes, Capture};
use deepmidi_host_tests::clap_host::ClapHost;
use deepmidi_host_tests::host::{capture_run, select_model, BufferSizes, PluginHost};
use deepmidi_host_tests::vst3_host::Vst3Host;
use std::path::PathBuf;
use std::sync::OnceLock;

/// User model folders and the `hyper.layers` each claims.
const DAMAGED: [(&str, u64); 2] = [
    ("billion-layers", 1_000_000_000),
    ("million-layers", 1_000_000),
];

/// The plugin's log file, once the damaged user models are in place and the environment
/// points the plugin at them (before any plugin is loaded in this process).
fn setup() -> &'static PathBuf {
    static LOG: OnceLock<PathBuf> = OnceLock::new();
    LOG.get_or_init(|| {
        let root = target_dir().join("host-tests/damaged-user-model");
        let _ = std::fs::remove_dir_all(&root);
        let xdg = root.join("xdg");
        let shipped = workspace_root().join("models/irish");
        for (name, layers) in DAMAGED {
            let dir = xdg.join("deepmidi/models").join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for f in ["note.safetensors", "offset.safetensors"] {
                std::fs::copy(shipped.join(f), dir.join(f)).unwrap();
            }
            let mut meta: serde_json::Value =
                serde_json::from_slice(&std::fs::read(shipped.join("model.json")).unwrap())
                    .unwrap();
            meta["hyper"]["layers"] = layers.into();
            std::fs::write(dir.join("model.json"), meta.to_string()).unwrap();
        }
        let log = root.join(format!("plugin-{}.log", std::process::id()));
        std::env::set_var("XDG_DATA_HOME", &xdg);
        std::env::set_var("NICE_LOG", &log);
        log
    })
}

/// 20 seconds of the plugin at its defaults with `model` selected (`None`: the default).
fn play<H: PluginHost>(load: impl Fn() -> H, model: Option<&str>) -> Capture {
    let mut host = load();
    if let Some(model) = model {
        select_model(&mut host, model);
    }
    let capture = capture_run(host, 20.0, BufferSizes::Fixed(512));
    capture.assert_clean(model.unwrap_or("the default model"));
    assert!(
        capture.note_ons().count() > 10,
        "{}: {} notes",
        model.unwrap_or("the default model"),
        capture.note_ons().count()
    );
    capture
}

fn damaged_models_are_refused_and_play_the_fallback<H: PluginHost>(load: impl Fn() -> H) {
    let log = setup();
    // The host survives activation with the damaged sets listed, and a built-in model plays.
    let default = play(&load, None);
    let mut host = load();
    let steps = host.param_steps("Model").unwrap();
    let list: Vec<String> = (0..=steps)
        .map(|k| host.param_text("Model", f64::from(k) / f64::from(steps)))
        .collect();
    drop(host);
    for (name, _) in DAMAGED {
        assert!(list.iter().any(|n| n == name), "{name} not in {list:?}");
    }
    // The fallback is the first built-in model: what a damaged slot plays, note for note.
    let fallback = play(&load, Some(&list[0]));
    assert!(!default.notes().is_empty());
    for (name, layers) in DAMAGED {
        let played = play(&load, Some(name));
        assert_same_notes(
            &fallback.notes(),
            &played.notes(),
            0,
            &format!("{name} against the fallback {}", list[0]),
        );
        // The plugin's logger writes from a background thread: give it a moment.
        let wanted = format!("{name}/model.json: hyper.layers is {layers}");
        let mut text = String::new();
        for _ in 0..50 {
            text = std::fs::read_to_string(log).unwrap_or_default();
            if text.contains(&wanted) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(text.contains(&wanted), "the log lacks {wanted:?}:\n{text}");
    }
}

#[test]
fn clap_refuses_damaged_user_models_and_keeps_playing() {
    damaged_models_are_refused_and_play_the_fallback(|| ClapHost::load(&clap_library()));
}

#[test]
fn vst3_refuses_damaged_user_models_and_keeps_playing() {
    damaged_models_are_refused_and_play_the_fallback(|| Vst3Host::load(&vst3_library()));
}
