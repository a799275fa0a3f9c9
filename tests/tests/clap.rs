//! The release CLAP bundle in the clack-host test host.

use deepmidi_host_tests::capture::{off_grid, Capture};
use deepmidi_host_tests::clap_host::{frame_state, ClapHost};
use deepmidi_host_tests::fixture::{setup, BROKEN_MODEL, TEST_MODEL};
use deepmidi_host_tests::host::{
    capture_run, select_model, set_param_text, value_text, BufferSizes, PluginHost, Session,
    SAMPLE_RATE,
};
use deepmidi_host_tests::scenario::{clap, param_values};
use deepmidi_host_tests::{bundles, bundles::workspace_root};

/// Samples between two grid points at `tempo` BPM: 1/24 beat × tempo scale.
fn grid_step(tempo: f64, tempo_scale: f64) -> f64 {
    SAMPLE_RATE * 60.0 / tempo / 24.0 * tempo_scale
}

/// Stops the transport for one buffer: every note must end.
fn stop_and_check<H: PluginHost>(s: &mut Session<H>, what: &str) {
    s.transport.playing = false;
    s.run(256);
    s.capture.assert_clean(what);
    assert_eq!(
        s.capture.sounding(),
        0,
        "{what}: notes still sounding after stop"
    );
}

/// Plays `seconds` of random buffers at 120 BPM, stops, and checks that every note-on got
/// its note-off and that every onset lies within a sample of the 1/24-beat grid.
fn play_on_the_grid(host: ClapHost, seconds: f64, seed: u64, what: &str) -> Capture {
    let mut s = Session::new(host, 120.0);
    s.run_random(seconds, seed);
    stop_and_check(&mut s, what);
    let onsets = s.capture.onset_times();
    let min_onsets = (seconds / 3.0) as usize;
    assert!(
        onsets.len() > min_onsets,
        "{what}: only {} onsets",
        onsets.len()
    );
    let bad = off_grid(&onsets, grid_step(120.0, 1.0), 1.0);
    assert!(
        bad.is_empty(),
        "{what}: {} of {} onsets off the 1/24-beat grid, e.g. {:?}",
        bad.len(),
        onsets.len(),
        &bad[..bad.len().min(5)]
    );
    let ons = s.capture.note_ons().count();
    assert_eq!(
        ons * 2,
        s.capture.events.len(),
        "{what}: note-ons and note-offs differ in number"
    );
    eprintln!(
        "{what}: {} buffers, {ons} notes, pitch entropy {:.2} bits",
        s.capture.buffers,
        s.capture.pitch_entropy()
    );
    s.capture
}

#[test]
fn clap_ten_minutes_random_buffers_pair_every_note_on_the_grid() {
    play_on_the_grid(clap(), 600.0, 7, "10 minutes of random buffers");
}

#[test]
fn clap_tempo_scale_stretches_the_grid() {
    let mut host = clap();
    set_param_text(&mut host, "Tempo Scale", "2");
    let mut s = Session::new(host, 120.0);
    s.run_random(60.0, 3);
    stop_and_check(&mut s, "tempo scale 2");
    let onsets = s.capture.onset_times();
    assert!(onsets.len() > 10);
    let bad = off_grid(&onsets, grid_step(120.0, 2.0), 1.0);
    assert!(
        bad.is_empty(),
        "onsets off the stretched grid: {:?}",
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn clap_same_seed_gives_the_same_events_whatever_the_buffer_sizes() {
    let runs: Vec<Capture> = [
        BufferSizes::Fixed(32),
        BufferSizes::Fixed(512),
        BufferSizes::Random(11),
    ]
    .into_iter()
    .map(|sizes| capture_run(clap(), 60.0, sizes))
    .collect();
    let key = |c: &Capture| {
        c.events
            .iter()
            .map(|e| (e.time, e.pitch, e.channel, e.on))
            .collect::<Vec<_>>()
    };
    assert!(runs[0].note_ons().count() > 10);
    for (i, run) in runs.iter().enumerate() {
        run.assert_clean("same seed");
        assert_eq!(
            key(run),
            key(&runs[0]),
            "run {i} differs from the 32-sample run"
        );
    }
}

#[test]
fn clap_stop_ends_every_note_and_stays_silent() {
    let mut s = Session::new(clap(), 120.0);
    s.run_until_sounding(300, 20.0);
    stop_and_check(&mut s, "stop");
    let before = s.capture.events.len();
    s.run_fixed(5.0, 512);
    assert_eq!(s.capture.events.len(), before, "events while stopped");
    s.transport.playing = true;
    s.run_fixed(10.0, 512);
    assert!(s.capture.note_ons().count() > 0);
    stop_and_check(&mut s, "second stop");
}

#[test]
fn clap_loop_jumps_end_the_notes_from_before_the_jump() {
    let mut s = Session::new(clap(), 120.0);
    s.transport.loop_beats = Some((0.0, 6.0));
    let mut jumps = 0;
    let end = s.clock + (40.0 * SAMPLE_RATE) as i64;
    let mut sizes = [1000u32, 333, 4096, 17, 2048].into_iter().cycle();
    while s.clock < end {
        let before = s.transport.position_beats();
        s.run(sizes.next().unwrap());
        if s.transport.position_beats() < before {
            // The next buffer starts after the jump.
            jumps += 1;
            s.run_ending_notes(512, "loop jump");
        }
    }
    assert!(jumps >= 5, "only {jumps} loop jumps");
    stop_and_check(&mut s, "loop");
}

#[test]
fn clap_locate_backwards_ends_the_notes() {
    let mut s = Session::new(clap(), 120.0);
    s.run_until_sounding(400, 20.0);
    s.transport.locate(1.0);
    s.run_ending_notes(400, "locate");
    s.run_fixed(10.0, 700);
    stop_and_check(&mut s, "locate");
}

#[test]
fn clap_tempo_change_mid_stream_keeps_notes_paired_and_on_the_new_grid() {
    let mut s = Session::new(clap(), 120.0);
    s.run_random(30.0, 5);
    s.transport.set_tempo(90.0);
    let change = s.clock;
    s.run_random(60.0, 6);
    stop_and_check(&mut s, "tempo change");
    let after: Vec<i64> = s
        .capture
        .onset_times()
        .into_iter()
        .filter(|&t| t >= change + 48_000)
        .collect();
    assert!(after.len() > 10);
    let bad = off_grid(&after, grid_step(90.0, 1.0), 1.0);
    assert!(
        bad.is_empty(),
        "onsets off the 90 BPM grid: {:?}",
        &bad[..bad.len().min(5)]
    );
}

#[test]
fn clap_deactivate_ends_the_notes_at_the_next_buffer() {
    let mut s = Session::new(clap(), 120.0);
    s.run_until_sounding(256, 20.0);
    s.host.deactivate();
    s.host.activate(SAMPLE_RATE, 4096);
    s.run_ending_notes(256, "reactivation");
    s.run_fixed(10.0, 1024);
    stop_and_check(&mut s, "after reactivation");
}

#[test]
fn clap_bypass_ends_the_notes_and_mutes() {
    let mut s = Session::new(clap(), 120.0);
    s.run_until_sounding(256, 20.0);
    s.host.set_param("Bypass", 1.0);
    s.run_ending_notes(256, "bypass");
    let before = s.capture.events.len();
    s.run_fixed(5.0, 512);
    assert_eq!(s.capture.events.len(), before, "events while bypassed");
    s.host.set_param("Bypass", 0.0);
    s.run_fixed(10.0, 512);
    assert!(s.capture.events.len() > before, "no notes after bypass off");
    stop_and_check(&mut s, "bypass");
}

#[test]
fn clap_reset_and_seed_changes_restart_cleanly() {
    let mut s = Session::new(clap(), 120.0);
    s.run_until_sounding(256, 20.0);
    s.host.set_param("Reset", 1.0);
    s.run_ending_notes(256, "reset");
    s.host.set_param("Reset", 0.0);
    s.run_until_sounding(256, 20.0);
    set_param_text(&mut s.host, "Seed", "4242");
    s.run_ending_notes(256, "seed change");
    s.run_fixed(5.0, 512);
    stop_and_check(&mut s, "reset");
}

#[test]
fn clap_temperature_zero_is_reproducible_and_heat_adds_pitch_entropy() {
    // The seed picks where each stream starts (also at temperature 0), so both cold runs use
    // the same seed, in different buffer sizes and instances.
    let run = |temperature: &str, sizes: BufferSizes| {
        let mut host = clap();
        set_param_text(&mut host, "Temperature", temperature);
        let c = capture_run(host, 120.0, sizes);
        c.assert_clean("temperature");
        c
    };
    let key = |c: &Capture| {
        c.events
            .iter()
            .map(|e| (e.time, e.pitch, e.on))
            .collect::<Vec<_>>()
    };
    let cold_a = run("0", BufferSizes::Fixed(512));
    let cold_b = run("0", BufferSizes::Random(5));
    assert!(cold_a.note_ons().count() > 10);
    let (a, b) = (key(&cold_a), key(&cold_b));
    let first_difference = a.iter().zip(&b).position(|(x, y)| x != y);
    assert!(
        a.len() == b.len() && first_difference.is_none(),
        "temperature 0 streams differ: {} vs {} events, first difference at {first_difference:?}: {:?} vs {:?}",
        a.len(),
        b.len(),
        first_difference.map(|i| a[i]),
        first_difference.map(|i| b[i]),
    );
    let hot = run("1.5", BufferSizes::Fixed(512));
    let (cold_h, hot_h) = (cold_a.pitch_entropy(), hot.pitch_entropy());
    assert!(
        hot_h > cold_h,
        "pitch entropy {hot_h:.3} bits at 1.5 is not above {cold_h:.3} at 0"
    );
}

fn customized() -> ClapHost {
    let mut host = clap();
    for (name, text) in [
        ("Temperature", "1.3"),
        ("Tempo Scale", "0.5"),
        ("Gate", "0.5"),
        ("Velocity", "100"),
        ("MIDI Channel", "3"),
        ("Seed", "77"),
        ("Sync to Bar", "On"),
    ] {
        set_param_text(&mut host, name, text);
    }
    host
}

#[test]
fn clap_state_round_trip_restores_params_and_notes() {
    let mut a = customized();
    let state = a.save_state();
    let text = String::from_utf8_lossy(&state);
    assert!(
        text.contains(TEST_MODEL),
        "the state does not name the model: {text}"
    );

    let mut b = ClapHost::load(&bundles::clap_library());
    b.load_state(&state).expect("load state");
    let (pa, pb) = (param_values(&mut a), param_values(&mut b));
    assert_eq!(pa, pb);
    assert_eq!(value_text(&mut b, "MIDI Channel"), "3");

    let ca = capture_run(a, 30.0, BufferSizes::Fixed(480));
    let cb = capture_run(b, 30.0, BufferSizes::Fixed(480));
    ca.assert_clean("state a");
    assert!(ca.note_ons().count() > 5);
    assert!(ca
        .note_ons()
        .all(|e| e.channel == 2 && (e.velocity * 127.0).round() == 100.0));
    assert_eq!(ca.events, cb.events);
}

#[test]
fn clap_corrupt_or_foreign_state_is_refused_or_ignored_without_harm() {
    setup();
    let mut host = ClapHost::load(&bundles::clap_library());
    let defaults = param_values(&mut host);
    assert!(host
        .load_state(b"\x05\x00\x00\x00\x00\x00\x00\x00garbage")
        .is_err());
    // Well-formed, but from some other version: unknown fields and a bad model name.
    let foreign = br#"{"version":"0.0.1","params":{"nosuch":{"f32":1.0},"vel":{"bool":true}},"fields":{"model-name":"[1,2]","other":"x"}}"#;
    let _ = host.load_state(&frame_state(foreign));
    assert_eq!(param_values(&mut host), defaults);
    select_model(&mut host, TEST_MODEL);
    let c = capture_run(host, 20.0, BufferSizes::Fixed(512));
    assert!(c.note_ons().count() > 0);
}

#[test]
fn clap_unusable_saved_values_load_their_defaults() {
    let mut host = customized();
    let defaults = param_values(&mut ClapHost::load(&bundles::clap_library()));
    // A usable channel and model name; everything else missing, out of range or of the wrong
    // type. The model index is missing too: it follows the name.
    let damaged = br#"{"version":"0.1.0","params":{"chan":{"i32":7},"temp":{"f32":1e30},"tscale":{"f32":-3.0},"gate":{"bool":true},"vel":{"i32":0},"seed":{"i32":-1},"sync":{"f32":1.0}},"fields":{"model-name":"\"tiny-test\""}}"#;
    host.load_state(&frame_state(damaged))
        .expect("a well-formed state loads");
    for ((name, got), (_, default)) in param_values(&mut host).into_iter().zip(defaults) {
        match name.as_str() {
            "MIDI Channel" => assert_eq!(value_text(&mut host, &name), "7"),
            "Model" => assert_eq!(value_text(&mut host, &name), TEST_MODEL),
            _ => assert_eq!(got, default, "{name} is not back at its default"),
        }
    }
    let c = capture_run(host, 20.0, BufferSizes::Fixed(512));
    c.assert_clean("after the damaged state");
    assert!(c.note_ons().count() > 0 && c.note_ons().all(|e| e.channel == 6));
}

#[test]
fn clap_descriptor_and_parameters() {
    setup();
    let features = ClapHost::features(&bundles::clap_library());
    assert!(features.iter().any(|f| f == "instrument"), "{features:?}");
    assert!(!features.iter().any(|f| f == "synthesizer"), "{features:?}");
    let mut host = ClapHost::load(&bundles::clap_library());
    let names = host.param_names();
    for name in [
        "Temperature",
        "Tempo Scale",
        "Gate",
        "Velocity",
        "MIDI Channel",
        "Seed",
        "Sync to Bar",
        "Model",
        "Reset",
        "Bypass",
    ] {
        assert!(names.iter().any(|n| n == name), "no {name} in {names:?}");
    }
    assert_eq!(value_text(&mut host, "Temperature"), "0.80");
    assert_eq!(host.param_text("Tempo Scale", 0.5), "1.00x");
    assert_eq!(value_text(&mut host, "Velocity"), "90");
}

/// The complete model folders in `models/` (what the bundle embeds when built after them).
fn shipped_models() -> Vec<String> {
    let folders = std::fs::read_dir(workspace_root().join("models"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut shipped: Vec<String> = folders
        .into_iter()
        .filter(|p| {
            ["model.json", "note.safetensors", "offset.safetensors"]
                .iter()
                .all(|f| p.join(f).is_file())
        })
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    shipped.sort();
    shipped
}

#[test]
fn clap_each_built_in_model_plays_on_the_grid() {
    let shipped = shipped_models();
    if shipped.is_empty() {
        eprintln!("no complete model folder in models/: no built-in model to play");
    }
    for name in shipped {
        setup();
        let mut host = ClapHost::load(&bundles::clap_library());
        select_model(&mut host, &name);
        let started = std::time::Instant::now();
        play_on_the_grid(host, 60.0, 13, &format!("built-in model {name}"));
        eprintln!(
            "{name}: a minute in {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
}

#[test]
fn clap_model_list_has_the_shipped_and_user_models() {
    let fixture = setup();
    let mut host = ClapHost::load(&bundles::clap_library());
    let steps = host.param_steps("Model").unwrap();
    let list: Vec<String> = (0..=steps)
        .map(|k| host.param_text("Model", f64::from(k) / f64::from(steps)))
        .collect();
    let shipped = shipped_models();
    // Built-in models first, in name order (the bundle must have been built after they landed).
    assert_eq!(
        list[..shipped.len().min(list.len())],
        shipped[..],
        "built-in models in {list:?}: rebuild the bundle after adding models"
    );
    for user in [BROKEN_MODEL, TEST_MODEL] {
        assert!(
            list.iter().any(|n| n == user),
            "user model {user} missing from {list:?} ({})",
            fixture.models_dir.display()
        );
    }
}

#[test]
fn clap_broken_model_is_logged_and_falls_back() {
    let fixture = setup();
    let mut host = ClapHost::load(&bundles::clap_library());
    select_model(&mut host, BROKEN_MODEL);
    let c = capture_run(host, 20.0, BufferSizes::Fixed(512));
    c.assert_clean("fallback");
    assert!(c.note_ons().count() > 0, "the fallback model plays nothing");
    // The plugin's logger writes from a background thread: give it a moment.
    let wanted = format!("{BROKEN_MODEL}/model.json");
    let mut log = String::new();
    for _ in 0..50 {
        log = std::fs::read_to_string(&fixture.log).unwrap_or_default();
        if log.contains(&wanted) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        log.contains(&wanted),
        "the log does not name the broken file:\n{log}"
    );
}
