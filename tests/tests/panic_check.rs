//! A panic inside the engine, caught at the plugin's boundary, in both formats: the debug
//! build with `inject_panic` (`cargo xtask bundle-panic-check`) panics inside the player when
//! it hears a note-on on channel 16, key 0, velocity 1. Every note the host has sounding then
//! ends in that buffer, the plugin stays silent, and after a deactivation and activation it
//! plays again.

use deepmidi_host_tests::bundles::{panic_check_clap_library, panic_check_vst3_library};
use deepmidi_host_tests::clap_host::ClapHost;
use deepmidi_host_tests::fixture::{setup, TEST_MODEL};
use deepmidi_host_tests::host::{
    select_model, InputNote, PluginHost, Session, MAX_FRAMES, SAMPLE_RATE,
};
use deepmidi_host_tests::vst3_host::Vst3Host;

/// The note that makes the `inject_panic` build panic, 100 samples into the next buffer.
fn trigger(at: i64) -> InputNote {
    InputNote {
        start: at + 100,
        length: 1_000,
        pitch: 0,
        channel: 15,
        velocity: 1.0 / 127.0,
    }
}

fn a_panic_ends_every_note_and_silences_until_reactivated<H: PluginHost>(mut host: H, what: &str) {
    select_model(&mut host, TEST_MODEL);
    let mut s = Session::new(host, 120.0);
    s.run_until_sounding(256, 10.0);
    // Until several notes have been played, so the failure has something to end.
    s.run_fixed(2.0, 256);
    s.run_until_sounding(256, 10.0);
    let sounding = s.capture.sounding();
    let before = s.capture.events.len();
    s.schedule_input(&[trigger(s.clock)]);
    // The panic comes after the buffer's own notes were sent; those end too.
    s.run(1024);
    let offs = s.capture.events[before..].iter().filter(|e| !e.on).count();
    assert!(
        offs >= sounding,
        "{what}: {offs} note-offs for {sounding} notes"
    );
    assert_eq!(
        s.capture.sounding(),
        0,
        "{what}: notes still sound after the panic"
    );
    let ended = s.capture.events.len();
    s.run_random(5.0, 1);
    assert_eq!(
        s.capture.events.len(),
        ended,
        "{what}: the plugin played after the panic"
    );
    s.host.deactivate();
    s.host.activate(SAMPLE_RATE, MAX_FRAMES);
    s.run_random(10.0, 2);
    let ons = s.capture.events[ended..].iter().filter(|e| e.on).count();
    assert!(ons > 5, "{what}: {ons} notes after the reactivation");
    s.capture.assert_clean(what);
    s.played_in.assert_clean(what);
}

#[test]
fn clap_panic_ends_every_note_and_silences_until_reactivated() {
    let library = panic_check_clap_library();
    setup();
    a_panic_ends_every_note_and_silences_until_reactivated(ClapHost::load(&library), "CLAP");
}

#[test]
fn vst3_panic_ends_every_note_and_silences_until_reactivated() {
    let library = panic_check_vst3_library();
    setup();
    a_panic_ends_every_note_and_silences_until_reactivated(Vst3Host::load(&library), "VST3");
}
