//! Notes played into the bundles: both formats take note input (a CLAP note input port, a
//! VST3 event input bus), and with Thru the plugin passes every note on at its sample,
//! whatever the buffer sizes, while it plays its own on another channel.

use deepmidi_host_tests::capture::{assert_same_notes, Note};
use deepmidi_host_tests::host::{set_param_text, BufferSizes, PluginHost, Session};
use deepmidi_host_tests::scenario::{instance, Clap, Format, Vst3};

/// C major up and down in eighth notes from beat 1, a repeated note restarting on the
/// sample its twin ends, and a chord (onset and length in beats, pitch).
const MELODY: &[(f64, f64, u8)] = &[
    (1.0, 0.5, 60),
    (1.5, 0.5, 62),
    (2.0, 0.5, 64),
    (2.5, 0.5, 64),
    (3.0, 0.25, 65),
    (3.5, 0.5, 67),
    (4.0, 1.0, 60),
    (4.0, 1.0, 64),
    (4.0, 1.0, 67),
    (5.5, 0.5, 65),
    (6.0, 0.5, 62),
];

fn thru_passes_every_note_on_at_its_sample<F: Format>(sizes: BufferSizes) {
    let mut host = instance::<F>();
    assert!(
        host.has_note_input(),
        "{}: the plugin takes no note input",
        F::NAME
    );
    host.set_param("Thru", 1.0);
    set_param_text(&mut host, "MIDI Channel", "2");
    let mut session = Session::new(host, 120.0);
    session.schedule_melody(MELODY);
    session.run_sizes(4.0, sizes);
    let what = format!("{} Thru, {sizes:?}", F::NAME);
    session.capture.assert_clean(&what);
    session.played_in.assert_clean(&what);
    let sent = session.played_in.notes();
    assert_eq!(sent.len(), MELODY.len(), "{what}: notes sent");
    let notes = session.capture.notes();
    let passed: Vec<Note> = notes.iter().filter(|n| n.channel == 0).copied().collect();
    assert_same_notes(&sent, &passed, 0, &format!("{what}: channel 1 out"));
    let own = notes.len() - passed.len();
    assert!(own >= 8, "{what}: {own} notes of the plugin's own");
}

#[test]
fn clap_thru_in_random_buffers() {
    thru_passes_every_note_on_at_its_sample::<Clap>(BufferSizes::Random(11));
}

#[test]
fn vst3_thru_in_random_buffers() {
    thru_passes_every_note_on_at_its_sample::<Vst3>(BufferSizes::Random(11));
}

#[test]
fn vst3_thru_in_buffers_of_64() {
    thru_passes_every_note_on_at_its_sample::<Vst3>(BufferSizes::Fixed(64));
}
