//! The key lock, note range and rhythm temperature through each format. Every parameter is
//! set by its text, as a musician types it; the plugin must then play exactly what the engine
//! plays in-process with those settings, and no note may break the lock. A change mid-stream
//! takes effect at the next onset and leaves no note hanging.

use deepmidi_engine::harmony::{NoteName, PitchClass, PitchLock, Scale};
use deepmidi_engine::model::load_model_set;
use deepmidi_engine::realtime::{Engine, EngineParams};
use deepmidi_host_tests::capture::{assert_same_notes, Note};
use deepmidi_host_tests::fixture::{setup, TEST_MODEL};
use deepmidi_host_tests::host::{set_param_text, value_text, PluginHost, Session, SAMPLE_RATE};
use deepmidi_host_tests::lockstep::Lockstep;
use deepmidi_host_tests::scenario::{instance, Clap, Format, Vst3};

/// The plugin's default seed.
const SEED: u64 = 1;
/// Fast, so that many notes take little time.
const TEMPO: f64 = 300.0;

/// The lock's and the rhythm temperature's parameters as texts a musician types.
fn texts(params: &EngineParams) -> [(&'static str, String); 5] {
    let lock = params.lock;
    [
        ("Scale", lock.scale.label().to_owned()),
        ("Root", lock.root.to_string()),
        ("Lowest Note", NoteName(lock.lowest).to_string()),
        ("Highest Note", NoteName(lock.highest).to_string()),
        (
            "Rhythm Temperature",
            format!("{:.2}", params.rhythm_temperature),
        ),
    ]
}

/// Sets the lock and the rhythm temperature of `params` by their texts (the host sends
/// them with its next buffer).
fn steer(host: &mut dyn PluginHost, params: &EngineParams) {
    for (name, text) in texts(params) {
        set_param_text(host, name, &text);
    }
}

/// The plugin shows the settings of `params` back.
fn assert_shows(host: &mut dyn PluginHost, params: &EngineParams) {
    for (name, text) in texts(params) {
        assert_eq!(value_text(host, name), text, "{name}");
    }
}

fn engine() -> Engine {
    let model = load_model_set(&setup().models_dir.join(TEST_MODEL)).unwrap();
    Engine::new(&model, SAMPLE_RATE, SEED).unwrap()
}

/// Plays `params` for `notes` notes (at least) through the plugin and the engine; checks
/// they agree and that every note keeps the lock.
fn play_locked<F: Format>(params: &EngineParams, notes: usize, what: &str) {
    let mut session = Session::new(instance::<F>(), TEMPO);
    steer(&mut session.host, params);
    let mut lockstep = Lockstep::new(engine(), 7);
    while session.capture.note_ons().count() < notes {
        lockstep.run(&mut session, params, 20.0);
    }
    assert_shows(&mut session.host, params);
    let what = format!("{} {what}", F::NAME);
    let (want, got) = (lockstep.expected.notes(), session.capture.notes());
    assert_same_notes(&want, &got, 0, &what);
    assert_keeps(&got, params.lock, &what);
}

fn assert_keeps(notes: &[Note], lock: PitchLock, what: &str) {
    let allowed = lock.allowed();
    let broken: Vec<&Note> = notes
        .iter()
        .filter(|n| !allowed.contains(n.pitch))
        .collect();
    assert!(
        broken.is_empty(),
        "{what}: {} notes break the lock, first {:?}",
        broken.len(),
        broken[0]
    );
}

fn locked(
    scale: Scale,
    root: u8,
    lowest: u8,
    highest: u8,
    rhythm_temperature: f32,
) -> EngineParams {
    EngineParams {
        lock: PitchLock::new(scale, PitchClass::of(root), lowest, highest),
        rhythm_temperature,
        ..EngineParams::default()
    }
}

/// Each scale at three roots, 10,000 notes a scale, then an octave and a single note.
fn every_lock_holds<F: Format>() {
    setup();
    for (i, scale) in Scale::ALL
        .into_iter()
        .filter(|s| *s != Scale::Off)
        .enumerate()
    {
        for (k, root) in [0, 6, 9].into_iter().enumerate() {
            // Rhythm temperature too: 0 (the likeliest gaps), the default and hot.
            let rhythm = [0.0, 0.8, 1.5][(i + k) % 3];
            let params = locked(scale, root, 0, 127, rhythm);
            play_locked::<F>(&params, 3_334, &format!("{scale} on {root}"));
        }
    }
    play_locked::<F>(
        &locked(Scale::Dorian, 2, 48, 59, 0.8),
        10_000,
        "D dorian in C3-B3",
    );
    play_locked::<F>(&locked(Scale::Off, 0, 64, 64, 0.8), 10_000, "E4 alone");
}

#[test]
fn clap_every_lock_holds() {
    every_lock_holds::<Clap>();
}

#[test]
fn vst3_every_lock_holds() {
    every_lock_holds::<Vst3>();
}

/// Scale, root and range changed between buffers while notes play.
fn changes_take_effect_at_the_next_onset<F: Format>() {
    setup();
    let changes = [
        (
            EngineParams::default(),
            locked(Scale::Major, 2, 0, 127, 0.8),
            "Scale on",
        ),
        (
            locked(Scale::Major, 2, 0, 127, 0.8),
            locked(Scale::Major, 5, 0, 127, 0.8),
            "Root D to F",
        ),
        (
            locked(Scale::Major, 2, 0, 127, 0.8),
            locked(Scale::Major, 2, 40, 47, 0.8),
            "range to E2-B2",
        ),
    ];
    for (before, after, what) in changes {
        let what = format!("{} {what}", F::NAME);
        let mut session = Session::new(instance::<F>(), 120.0);
        steer(&mut session.host, &before);
        let mut lockstep = Lockstep::new(engine(), 11);
        lockstep.run(&mut session, &before, 10.0);
        let switch = session.clock;
        steer(&mut session.host, &after);
        lockstep.run(&mut session, &after, 10.0);
        assert_shows(&mut session.host, &after);
        // The stop ends every note: none may have been left hanging by the change.
        session.transport.playing = false;
        lockstep.run(&mut session, &after, 0.01);
        session.capture.assert_clean(&what);
        assert_eq!(
            session.capture.sounding(),
            0,
            "{what}: notes hang after the stop"
        );
        let (want, got) = (lockstep.expected.notes(), session.capture.notes());
        assert_same_notes(&want, &got, 0, &what);
        let after_switch: Vec<Note> = got.iter().copied().filter(|n| n.on >= switch).collect();
        assert!(
            after_switch.len() > 10,
            "{what}: {} notes after",
            after_switch.len()
        );
        assert_keeps(&after_switch, after.lock, &what);
        assert!(
            got.iter()
                .any(|n| n.on < switch && !after.lock.allowed().contains(n.pitch)),
            "{what}: the old settings never played a note the new ones forbid"
        );
    }
}

#[test]
fn clap_changes_take_effect_at_the_next_onset() {
    changes_take_effect_at_the_next_onset::<Clap>();
}

#[test]
fn vst3_changes_take_effect_at_the_next_onset() {
    changes_take_effect_at_the_next_onset::<Vst3>();
}

/// Scale D major changed to F major on the very sample of an onset (an automation point on
/// the bar line where a note falls), between buffers: that onset plays the notes the
/// networks drew for it, moved a minor third up into F major, and the plugin plays what the
/// engine plays, through each format.
fn a_change_on_an_onset_moves_it_into_the_new_key<F: Format>() {
    setup();
    let (d, f) = (
        locked(Scale::Major, 2, 0, 127, 0.8),
        locked(Scale::Major, 5, 0, 127, 0.8),
    );
    let what = format!("{} D to F on an onset", F::NAME);
    // Where an onset falls after 4 s, and what it strikes, from a run that keeps D major.
    let mut dry = Session::new(instance::<F>(), TEMPO);
    steer(&mut dry.host, &d);
    Lockstep::new(engine(), 3).run(&mut dry, &d, 5.0);
    let after_4s = (4.0 * SAMPLE_RATE) as i64;
    let dry_notes = dry.capture.notes();
    let onset = dry_notes
        .iter()
        .map(|n| n.on)
        .filter(|&on| on >= after_4s)
        .min();
    let onset = onset.expect("notes after 4 s");
    let struck = |notes: &[Note]| {
        let mut pitches: Vec<u8> = notes
            .iter()
            .filter(|n| n.on == onset)
            .map(|n| n.pitch)
            .collect();
        pitches.sort_unstable();
        pitches
    };
    let moved: Vec<u8> = struck(&dry_notes).iter().map(|p| p + 3).collect();

    let mut session = Session::new(instance::<F>(), TEMPO);
    steer(&mut session.host, &d);
    let mut lockstep = Lockstep::new(engine(), 11);
    lockstep.run_until(&mut session, &d, onset);
    steer(&mut session.host, &f);
    lockstep.run(&mut session, &f, 3.0);
    session.capture.assert_clean(&what);
    let (want, got) = (lockstep.expected.notes(), session.capture.notes());
    assert_same_notes(&want, &got, 0, &what);
    let dry_before: Vec<_> = dry_notes
        .iter()
        .filter(|n| n.on < onset)
        .map(|n| (n.on, n.pitch))
        .collect();
    let got_before: Vec<_> = got
        .iter()
        .filter(|n| n.on < onset)
        .map(|n| (n.on, n.pitch))
        .collect();
    assert_eq!(got_before, dry_before, "{what}: the change reached back");
    assert_eq!(
        struck(&got),
        moved,
        "{what}: the onset was not moved into F major"
    );
    let after: Vec<Note> = got.iter().copied().filter(|n| n.on > onset).collect();
    assert!(after.len() > 10, "{what}: {} notes after", after.len());
    assert_keeps(&after, f.lock, &what);
}

#[test]
fn clap_a_change_on_an_onset_moves_it_into_the_new_key() {
    a_change_on_an_onset_moves_it_into_the_new_key::<Clap>();
}

#[test]
fn vst3_a_change_on_an_onset_moves_it_into_the_new_key() {
    a_change_on_an_onset_moves_it_into_the_new_key::<Vst3>();
}
