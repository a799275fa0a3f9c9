//! The release VST3 bundle in the test VST3 host, and against the CLAP one.

use deepmidi_host_tests::bundles;
use deepmidi_host_tests::fixture::{setup, TEST_MODEL};
use deepmidi_host_tests::host::{
    capture_run, set_param_text, value_text, BufferSizes, PluginHost, Session,
};
use deepmidi_host_tests::scenario::{clap, param_values, vst3};
use deepmidi_host_tests::vst3_host::Vst3Host;

#[test]
fn vst3_is_an_instrument_generator_with_audio_and_event_outputs() {
    let host = vst3();
    assert_eq!(host.output_buses(), (1, 1));
    assert_eq!(host.sub_categories, "Instrument|Generator");
}

#[test]
fn vst3_and_clap_play_the_same_notes() {
    let c = capture_run(clap(), 60.0, BufferSizes::Random(21));
    let v = capture_run(vst3(), 60.0, BufferSizes::Random(21));
    c.assert_clean("clap");
    v.assert_clean("vst3");
    let ons = |c: &deepmidi_host_tests::capture::Capture| {
        c.note_ons().map(|e| (e.time, e.pitch)).collect::<Vec<_>>()
    };
    let (co, vo) = (ons(&c), ons(&v));
    assert!(co.len() > 10, "only {} notes", co.len());
    assert_eq!(
        co.len(),
        vo.len(),
        "CLAP played {} notes, VST3 {}",
        co.len(),
        vo.len()
    );
    for (a, b) in co.iter().zip(&vo) {
        assert_eq!(a.1, b.1, "pitches differ at CLAP {a:?} / VST3 {b:?}");
        assert!(
            (a.0 - b.0).abs() <= 1,
            "times differ by more than a sample: CLAP {a:?} / VST3 {b:?}"
        );
    }
}

#[test]
fn vst3_stop_ends_every_note() {
    let mut s = Session::new(vst3(), 120.0);
    s.run_random(30.0, 4);
    s.run_until_sounding(256, 20.0);
    s.transport.playing = false;
    s.run(256);
    s.capture.assert_clean("vst3 stop");
    assert_eq!(s.capture.sounding(), 0);
    let before = s.capture.events.len();
    s.run_fixed(3.0, 512);
    assert_eq!(s.capture.events.len(), before, "events while stopped");
}

#[test]
fn vst3_automation_while_processing_reaches_the_plugin() {
    let mut s = Session::new(vst3(), 120.0);
    s.run_until_sounding(256, 20.0);
    s.host.set_param("Bypass", 1.0);
    s.run_ending_notes(256, "bypass");
    s.host.set_param("Bypass", 0.0);
    s.run_fixed(10.0, 512);
    s.capture.assert_clean("vst3 bypass");
}

#[test]
fn vst3_state_round_trip_restores_params() {
    let mut a = vst3();
    for (name, text) in [
        ("Temperature", "1.3"),
        ("Gate", "0.5"),
        ("Velocity", "100"),
        ("MIDI Channel", "3"),
        ("Seed", "77"),
    ] {
        set_param_text(&mut a, name, text);
    }
    let state = a.save_state();
    assert!(String::from_utf8_lossy(&state).contains(TEST_MODEL));
    setup();
    let mut b = Vst3Host::load(&bundles::vst3_library());
    b.load_state(&state).expect("setState");
    assert_eq!(param_values(&mut a), param_values(&mut b));
    assert_eq!(value_text(&mut b, "Seed"), "77");
    let (ca, cb) = (
        capture_run(a, 20.0, BufferSizes::Fixed(256)),
        capture_run(b, 20.0, BufferSizes::Fixed(256)),
    );
    assert!(ca.note_ons().count() > 0);
    assert_eq!(ca.events, cb.events);
}
