//! The host's bar reaches the model: through each format, the plugin plays exactly what the
//! engine plays when given the same bar start and time signature in-process, and a 3/4 bar,
//! a 6/8 bar from beat 2 and a 4/4 bar each make different music (the joint model hears
//! where in the bar every onset falls).

use deepmidi_engine::model::{load_model_set, Arch};
use deepmidi_engine::realtime::{Engine, EngineParams};
use deepmidi_host_tests::capture::{assert_same_notes, Note};
use deepmidi_host_tests::fixture::{setup, TEST_MODEL};
use deepmidi_host_tests::host::{Session, SAMPLE_RATE};
use deepmidi_host_tests::lockstep::Lockstep;
use deepmidi_host_tests::scenario::{instance, Clap, Format, Vst3};

/// The plugin's default seed and parameters.
const SEED: u64 = 1;

/// 20 s of random buffers in the given bars, through the plugin and through the engine
/// in-process, buffer for buffer.
fn play_in_bars<F: Format>(time_signature: (u16, u16), bar_origin: f64) -> (Vec<Note>, Vec<Note>) {
    let mut session = Session::new(instance::<F>(), 120.0);
    session.transport.time_signature = time_signature;
    session.transport.bar_origin = bar_origin;
    let model = load_model_set(&setup().models_dir.join(TEST_MODEL)).unwrap();
    let mut lockstep = Lockstep::new(Engine::new(&model, SAMPLE_RATE, SEED).unwrap(), 3);
    lockstep.run(&mut session, &EngineParams::default(), 20.0);
    (lockstep.expected.notes(), session.capture.notes())
}

fn the_hosts_bar_reaches_the_model<F: Format>() {
    setup();
    let model = load_model_set(&setup().models_dir.join(TEST_MODEL)).unwrap();
    assert_eq!(
        model.meta.hyper.arch,
        Arch::Joint,
        "the test model hears the bar"
    );
    let mut played = Vec::new();
    for (signature, origin, what) in [
        ((3, 4), 0.0, "3/4"),
        ((6, 8), 2.0, "6/8 from beat 2"),
        ((4, 4), 0.0, "4/4"),
    ] {
        let (want, got) = play_in_bars::<F>(signature, origin);
        assert!(want.len() > 20, "{what}: only {} notes", want.len());
        assert_same_notes(&want, &got, 0, &format!("{} in {what}", F::NAME));
        played.push((what, got));
    }
    for (i, (a, notes_a)) in played.iter().enumerate() {
        for (b, notes_b) in &played[i + 1..] {
            assert_ne!(
                notes_a,
                notes_b,
                "{}: {a} and {b} played the same music",
                F::NAME
            );
        }
    }
}

#[test]
fn clap_the_hosts_bar_reaches_the_model() {
    the_hosts_bar_reaches_the_model::<Clap>();
}

#[test]
fn vst3_the_hosts_bar_reaches_the_model() {
    the_hosts_bar_reaches_the_model::<Vst3>();
}
