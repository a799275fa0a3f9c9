//! The notes each built-in model plays for a fixed seed and settings, pinned to a checked-in
//! list (`tests/pinned/MODEL.txt`), through both plugin formats: a refactoring must not change
//! what a musician's saved project plays.
//!
//! After a change that is meant to change the music, regenerate the lists with
//! `DEEPMIDI_PIN_NOTES=1 cargo test --release --test pinned_notes` and say why in the commit.

use deepmidi_host_tests::bundles::workspace_root;
use deepmidi_host_tests::capture::Capture;
use deepmidi_host_tests::host::{capture_run, select_model, set_param_text, BufferSizes};
use deepmidi_host_tests::scenario::{Clap, Format, Vst3};

/// 30 s at 120 BPM in 512-sample buffers, seed 1234, both temperatures 0.9 (one Temperature
/// shaped pitch and rhythm before Rhythm Temperature), the other defaults: no key lock.
fn play<F: Format>(model: &str) -> Capture {
    let mut host = F::load();
    select_model(&mut host, model);
    set_param_text(&mut host, "Seed", "1234");
    set_param_text(&mut host, "Temperature", "0.9");
    set_param_text(&mut host, "Rhythm Temperature", "0.9");
    let capture = capture_run(host, 30.0, BufferSizes::Fixed(512));
    capture.assert_clean(model);
    capture
}

/// One line per event: sample, on/off, pitch, channel (0-based), velocity (0–127).
fn listing(capture: &Capture) -> String {
    capture
        .events
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {}\n",
                e.time,
                if e.on { "on" } else { "off" },
                e.pitch,
                e.channel,
                (e.velocity * 127.0).round()
            )
        })
        .collect()
}

fn check<F: Format>(model: &str) {
    let path = workspace_root().join(format!("tests/pinned/{model}.txt"));
    let got = listing(&play::<F>(model));
    assert!(
        got.lines().count() > 100,
        "{model}: only {} events",
        got.lines().count()
    );
    if std::env::var_os("DEEPMIDI_PIN_NOTES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (DEEPMIDI_PIN_NOTES=1 writes it)", path.display()));
    let first = want.lines().zip(got.lines()).position(|(w, g)| w != g);
    assert!(
        want == got,
        "{} {model}: the notes differ from {} (first at event {first:?}: {:?} vs {:?}; {} vs {} events)",
        F::NAME,
        path.display(),
        first.and_then(|i| want.lines().nth(i)),
        first.and_then(|i| got.lines().nth(i)),
        want.lines().count(),
        got.lines().count(),
    );
}

#[test]
fn clap_plays_the_pinned_notes() {
    for model in ["irish", "bach"] {
        check::<Clap>(model);
    }
}

#[test]
fn vst3_plays_the_pinned_notes() {
    for model in ["irish", "bach"] {
        check::<Vst3>(model);
    }
}
