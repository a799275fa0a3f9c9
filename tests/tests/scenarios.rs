//! Every transport and state scenario, run against the release CLAP bundle (clack-host) and
//! the release VST3 bundle (vst3 crate host) alike: each scenario is one function generic
//! over the [`Format`], and `both_formats!` makes a `clap::NAME` and a `vst3::NAME` test of
//! it. Positions come exact or rounded the way real hosts round them (see
//! [`PositionStyle`]).

use deepmidi_host_tests::capture::{assert_same_notes, off_grid, Capture};
use deepmidi_host_tests::fixture::{setup, BROKEN_MODEL, TEST_MODEL};
use deepmidi_host_tests::host::{
    capture_run, select_model, set_param_text, value_text, BufferSizes, PluginHost, Session,
    SAMPLE_RATE,
};
use deepmidi_host_tests::scenario::{clap, instance, param_values, vst3, Clap, Format, Vst3};
use deepmidi_host_tests::transport::PositionStyle;
use deepmidi_host_tests::{both_formats, bundles, bundles::workspace_root};

both_formats!(
    ten_minutes_of_random_buffers_pair_every_note_on_the_grid,
    tempo_scale_stretches_the_grid,
    the_same_seed_plays_the_same_events_whatever_the_buffer_sizes,
    host_style_positions_play_the_notes_of_exact_ones,
    a_count_in_starts_the_stream_at_beat_zero,
    stop_ends_every_note_and_stays_silent,
    loops_end_the_notes_at_the_loop_end_before_the_jump,
    locate_backwards_ends_the_notes,
    tempo_change_keeps_notes_paired_and_on_the_new_grid,
    without_a_transport_it_free_runs_at_120_bpm,
    a_sample_rate_change_keeps_the_grid,
    deactivate_ends_the_notes_at_the_next_buffer,
    host_reset_ends_the_notes,
    bypass_ends_the_notes_and_mutes,
    reset_and_seed_changes_restart_cleanly,
    the_seed_picks_the_stream,
    temperature_zero_is_reproducible_and_heat_adds_pitch_entropy,
    state_round_trip_restores_params_and_notes,
    corrupt_or_foreign_state_is_refused_or_ignored_without_harm,
    unusable_saved_values_load_their_defaults,
    parameters_and_their_texts,
    each_built_in_model_plays_on_the_grid,
    model_list_has_the_shipped_and_user_models,
    broken_model_is_logged_and_falls_back,
);

/// Samples between two grid points: 1/24 beat × tempo scale.
fn grid_step(sample_rate: f64, tempo: f64, tempo_scale: f64) -> f64 {
    sample_rate * 60.0 / tempo / 24.0 * tempo_scale
}

/// A session of `host` at 120 BPM whose host reports positions in `style`.
fn styled<H: PluginHost>(host: H, style: PositionStyle) -> Session<H> {
    let mut s = Session::new(host, 120.0);
    s.transport.style = style;
    s
}

/// A session of `F` at 120 BPM, run until a note sounds.
fn sounding<F: Format>(frames: u32) -> Session<F::Host> {
    let mut s = Session::new(instance::<F>(), 120.0);
    s.run_until_sounding(frames, 20.0);
    s
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

/// Checks that the onsets from sample `from` on lie within a sample of the 1/24-beat grid.
fn assert_on_grid(capture: &Capture, from: i64, step: f64, what: &str) {
    let onsets: Vec<i64> = capture
        .onset_times()
        .into_iter()
        .filter(|&t| t >= from)
        .collect();
    assert!(onsets.len() > 10, "{what}: only {} onsets", onsets.len());
    let bad = off_grid(&onsets, step, 1.0);
    assert!(
        bad.is_empty(),
        "{what}: {} of {} onsets off the grid, e.g. {:?}",
        bad.len(),
        onsets.len(),
        &bad[..bad.len().min(5)]
    );
}

/// Plays `seconds` of random buffers at 120 BPM, stops, and checks that every note-on got
/// its note-off and that every onset lies within a sample of the 1/24-beat grid.
fn play_on_the_grid<H: PluginHost>(host: H, seconds: f64, seed: u64, what: &str) -> Capture {
    let mut s = Session::new(host, 120.0);
    s.run_random(seconds, seed);
    stop_and_check(&mut s, what);
    assert!(
        s.capture.onset_times().len() > (seconds / 3.0) as usize,
        "{what}: too few onsets"
    );
    assert_on_grid(&s.capture, 0, grid_step(SAMPLE_RATE, 120.0, 1.0), what);
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

fn ten_minutes_of_random_buffers_pair_every_note_on_the_grid<F: Format>() {
    play_on_the_grid(instance::<F>(), 600.0, 7, "10 minutes of random buffers");
}

fn tempo_scale_stretches_the_grid<F: Format>() {
    let mut host = instance::<F>();
    set_param_text(&mut host, "Tempo Scale", "2");
    let mut s = Session::new(host, 120.0);
    s.run_random(60.0, 3);
    stop_and_check(&mut s, "tempo scale 2");
    assert_on_grid(
        &s.capture,
        0,
        grid_step(SAMPLE_RATE, 120.0, 2.0),
        "tempo scale 2",
    );
}

fn the_same_seed_plays_the_same_events_whatever_the_buffer_sizes<F: Format>() {
    let runs: Vec<Capture> = [
        BufferSizes::Fixed(32),
        BufferSizes::Fixed(512),
        BufferSizes::Fixed(4096),
        BufferSizes::Random(11),
    ]
    .into_iter()
    .map(|sizes| capture_run(instance::<F>(), 60.0, sizes))
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

/// Plays `seconds` from beat `from_beat` at `tempo` with positions reported in `style`.
fn capture_styled<F: Format>(
    style: PositionStyle,
    tempo: f64,
    from_beat: f64,
    seconds: f64,
    sizes: BufferSizes,
) -> Capture {
    let mut s = Session::new(instance::<F>(), tempo);
    s.transport.style = style;
    s.transport.locate(from_beat);
    s.run_sizes(seconds, sizes);
    s.capture.assert_clean(&format!("{style:?}"));
    s.capture
}

/// Hosts round their positions (Ardour to 1/1920 beat, sequencers to 960 or 480 PPQ ticks,
/// some to whole samples): at tempos where a buffer is no whole number of rounding steps,
/// every buffer size must still play exactly the notes of a host with exact positions.
fn host_style_positions_play_the_notes_of_exact_ones<F: Format>() {
    let ticks = |per_beat: f64, clock: bool| PositionStyle::Ticks { per_beat, clock };
    let styles = [
        PositionStyle::ARDOUR,
        ticks(960.0, true),
        ticks(960.0, false),
        ticks(480.0, false),
        PositionStyle::WholeSamples,
    ];
    for tempo in [120.0, 93.0, 140.5] {
        let exact = capture_styled::<F>(
            PositionStyle::Exact,
            tempo,
            0.0,
            20.0,
            BufferSizes::Fixed(512),
        );
        let want = exact.notes();
        assert!(want.len() > 20, "{tempo} BPM: only {} notes", want.len());
        for style in styles {
            for sizes in [
                BufferSizes::Fixed(32),
                BufferSizes::Fixed(1024),
                BufferSizes::Fixed(4096),
                BufferSizes::Random(tempo as u64),
            ] {
                let got = capture_styled::<F>(style, tempo, 0.0, 20.0, sizes);
                let what = format!("{} {style:?} at {tempo} BPM, {sizes:?}", F::NAME);
                assert_same_notes(&want, &got.notes(), 1, &what);
            }
        }
    }
}

/// Pre-roll and count-in report negative positions: the stream starts at beat 0, as it does
/// when playing from the start.
fn a_count_in_starts_the_stream_at_beat_zero<F: Format>() {
    for style in [PositionStyle::Exact, PositionStyle::ARDOUR] {
        let from_zero = capture_styled::<F>(style, 120.0, 0.0, 20.0, BufferSizes::Fixed(700));
        let count_in = capture_styled::<F>(style, 120.0, -4.0, 22.0, BufferSizes::Random(2));
        // Four beats at 120 BPM: two seconds of silence.
        let count_in_samples = 96_000;
        assert_eq!(
            count_in.note_ons().next().map(|e| e.time),
            Some(count_in_samples),
            "{style:?}: the first note"
        );
        let mut shifted = count_in.notes();
        for n in &mut shifted {
            n.on -= count_in_samples;
            n.off -= count_in_samples;
        }
        assert_same_notes(
            &from_zero.notes(),
            &shifted,
            1,
            &format!("{style:?}: after a count-in"),
        );
    }
}

fn stop_ends_every_note_and_stays_silent<F: Format>() {
    let mut s = sounding::<F>(300);
    stop_and_check(&mut s, "stop");
    let before = s.capture.events.len();
    s.run_fixed(5.0, 512);
    assert_eq!(s.capture.events.len(), before, "events while stopped");
    s.transport.playing = true;
    s.run_fixed(10.0, 512);
    assert!(s.capture.note_ons().count() > 0);
    stop_and_check(&mut s, "second stop");
}

/// At a loop end the host jumps back. Notes sounding there end at the loop end, in the
/// buffer before the jump (not at the loop start after it), and the stream goes on from the
/// loop start's next beat: with hosts that split the buffer at the loop end (Ardour) and
/// hosts that jump at the next buffer, with exact and rounded positions.
fn loops_end_the_notes_at_the_loop_end_before_the_jump<F: Format>() {
    let (start, end) = (2.0, 7.5);
    for (style, split) in [
        (PositionStyle::Exact, false),
        (PositionStyle::Exact, true),
        (PositionStyle::ARDOUR, true),
        (PositionStyle::ARDOUR, false),
    ] {
        let what = format!("{} {style:?}, split {split}", F::NAME);
        let mut host = instance::<F>();
        // Long notes, so that some always sound across the loop end.
        set_param_text(&mut host, "Gate", "1");
        let mut s = styled(host, style);
        s.split_at_loop_end = split;
        s.transport.loop_beats = Some((start, end));
        let mut sizes = [1000u32, 333, 4096, 17, 2048].into_iter().cycle();
        while s.clock < 40 * 48_000 {
            s.run(sizes.next().unwrap());
        }
        stop_and_check(&mut s, &what);
        assert!(
            s.loop_jumps.len() >= 10,
            "{what}: only {} jumps",
            s.loop_jumps.len()
        );
        let spb = s.transport.samples_per_beat();
        let notes = s.capture.notes();
        let mut cut = 0;
        for &(jump, to) in &s.loop_jumps {
            // The loop end's sample: the jump, less how far the host overshot it.
            let loop_end = jump - ((to - start) * spb).round() as i64;
            for n in notes.iter().filter(|n| n.on < jump) {
                assert!(
                    n.off < jump,
                    "{what}: {n:?} still sounds at the jump at sample {jump}"
                );
            }
            let last = loop_end.min(jump - 1);
            cut += notes
                .iter()
                .filter(|n| n.on < jump && n.off == last)
                .count();
            assert!(
                notes.iter().all(|n| !(n.on < loop_end && n.off > last)),
                "{what}: a note outlasts the loop end at sample {loop_end}"
            );
            if split {
                // Split at the loop end: the loop start (on a beat) plays at once.
                let first = s.capture.onset_times().into_iter().find(|&t| t >= jump);
                assert_eq!(first, Some(jump), "{what}: first onset after the jump");
            }
        }
        assert!(cut >= 5, "{what}: only {cut} notes cut at the loop end");
    }
}

fn locate_backwards_ends_the_notes<F: Format>() {
    for style in [PositionStyle::Exact, PositionStyle::ARDOUR] {
        let mut s = styled(instance::<F>(), style);
        s.run_until_sounding(400, 20.0);
        // Back to beat 1 from the next buffer on, which starts at sample `after`.
        let after = s.clock;
        s.transport.locate(1.0);
        s.run_ending_notes(400, "locate");
        s.run_fixed(10.0, 700);
        stop_and_check(&mut s, "locate");
        // The stream restarts on the located position's grid (beat 1 = sample `after`).
        let first = s.capture.onset_times().into_iter().find(|&t| t >= after);
        assert_eq!(
            first,
            Some(after),
            "{style:?}: first onset after the locate"
        );
        assert_on_grid(
            &s.capture,
            after,
            grid_step(SAMPLE_RATE, 120.0, 1.0),
            "after a locate",
        );
    }
}

fn tempo_change_keeps_notes_paired_and_on_the_new_grid<F: Format>() {
    for style in [PositionStyle::Exact, PositionStyle::ARDOUR] {
        let mut s = styled(instance::<F>(), style);
        s.run_random(30.0, 5);
        s.transport.set_tempo(90.0);
        let change = s.clock;
        s.run_random(60.0, 6);
        stop_and_check(&mut s, "tempo change");
        assert_on_grid(
            &s.capture,
            change + 48_000,
            grid_step(SAMPLE_RATE, 90.0, 1.0),
            &format!("{style:?} after the change to 90 BPM"),
        );
    }
}

fn without_a_transport_it_free_runs_at_120_bpm<F: Format>() {
    let mut s = Session::new(instance::<F>(), 77.0);
    s.no_transport = true;
    s.run_random(30.0, 12);
    s.capture.assert_clean("free-running");
    assert_on_grid(
        &s.capture,
        0,
        grid_step(SAMPLE_RATE, 120.0, 1.0),
        "free-running",
    );
}

fn a_sample_rate_change_keeps_the_grid<F: Format>() {
    let mut s = Session::with_rate(instance::<F>(), 120.0, 44_100.0);
    s.run_random(20.0, 3);
    assert_on_grid(&s.capture, 0, grid_step(44_100.0, 120.0, 1.0), "44.1 kHz");
    s.reactivate(96_000.0);
    let change = s.clock;
    s.run_ending_notes(512, "the sample rate change");
    s.run_random(20.0, 4);
    stop_and_check(&mut s, "96 kHz");
    assert_on_grid(
        &s.capture,
        change,
        grid_step(96_000.0, 120.0, 1.0),
        "96 kHz",
    );
}

fn deactivate_ends_the_notes_at_the_next_buffer<F: Format>() {
    let mut s = sounding::<F>(256);
    s.host.deactivate();
    s.host.activate(SAMPLE_RATE, 4096);
    s.run_ending_notes(256, "reactivation");
    s.run_fixed(10.0, 1024);
    stop_and_check(&mut s, "after reactivation");
}

fn host_reset_ends_the_notes<F: Format>() {
    let mut s = sounding::<F>(256);
    s.host.reset();
    s.run_ending_notes(256, "host reset");
    s.run_fixed(10.0, 1024);
    assert!(
        s.capture.note_ons().count() > 2,
        "nothing played after the reset"
    );
    stop_and_check(&mut s, "after the host reset");
}

fn bypass_ends_the_notes_and_mutes<F: Format>() {
    let mut s = sounding::<F>(256);
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

fn reset_and_seed_changes_restart_cleanly<F: Format>() {
    let mut s = sounding::<F>(256);
    s.host.set_param("Reset", 1.0);
    s.run_ending_notes(256, "reset");
    s.host.set_param("Reset", 0.0);
    s.run_until_sounding(256, 20.0);
    set_param_text(&mut s.host, "Seed", "4242");
    s.run_ending_notes(256, "seed change");
    s.run_fixed(5.0, 512);
    stop_and_check(&mut s, "reset");
}

fn the_seed_picks_the_stream<F: Format>() {
    let run = |seed: &str, sizes: BufferSizes| {
        let mut host = instance::<F>();
        set_param_text(&mut host, "Seed", seed);
        capture_run(host, 30.0, sizes).notes()
    };
    let a = run("11", BufferSizes::Fixed(256));
    assert!(a.len() > 10);
    assert_eq!(a, run("11", BufferSizes::Random(8)), "seed 11 twice");
    assert_ne!(a, run("12", BufferSizes::Fixed(256)), "seeds 11 and 12");
}

fn temperature_zero_is_reproducible_and_heat_adds_pitch_entropy<F: Format>() {
    // The seed picks where each stream starts (also at temperature 0), so both cold runs use
    // the same seed, in different buffer sizes and instances.
    let run = |temperature: &str, sizes: BufferSizes| {
        let mut host = instance::<F>();
        set_param_text(&mut host, "Temperature", temperature);
        let c = capture_run(host, 120.0, sizes);
        c.assert_clean("temperature");
        c
    };
    let cold_a = run("0", BufferSizes::Fixed(512));
    let cold_b = run("0", BufferSizes::Random(5));
    assert!(cold_a.note_ons().count() > 10);
    assert_same_notes(&cold_a.notes(), &cold_b.notes(), 0, "temperature 0");
    let hot = run("1.5", BufferSizes::Fixed(512));
    let (cold_h, hot_h) = (cold_a.pitch_entropy(), hot.pitch_entropy());
    assert!(
        hot_h > cold_h,
        "pitch entropy {hot_h:.3} bits at 1.5 is not above {cold_h:.3} at 0"
    );
}

fn customized<F: Format>() -> F::Host {
    let mut host = instance::<F>();
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

fn state_round_trip_restores_params_and_notes<F: Format>() {
    let mut a = customized::<F>();
    let state = a.save_state();
    let text = String::from_utf8_lossy(&state);
    assert!(
        text.contains(TEST_MODEL),
        "the state does not name the model: {text}"
    );

    // The release that saved it (nice-plug's `version` field, from the plugin's VERSION).
    // The JSON after the format's framing (whose length bytes may hold a '{' too).
    let mut json: serde_json::Value = text
        .match_indices('{')
        .find_map(|(at, _)| serde_json::from_str(&text[at..]).ok())
        .expect("the state is JSON");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"), "{text}");

    let mut b = F::load();
    b.load_state(&state).expect("load state");
    let (pa, pb) = (param_values(&mut a), param_values(&mut b));
    assert_eq!(pa, pb);
    // A state saved before states recorded the release loads the same.
    json.as_object_mut().unwrap().remove("version");
    let mut old = F::load();
    old.load_state(&F::frame_state(json.to_string().as_bytes()))
        .expect("load a state without a version");
    assert_eq!(param_values(&mut old), pa);
    assert_eq!(value_text(&mut b, "MIDI Channel"), "3");
    assert_eq!(value_text(&mut b, "Model"), TEST_MODEL);

    let ca = capture_run(a, 30.0, BufferSizes::Fixed(480));
    let cb = capture_run(b, 30.0, BufferSizes::Fixed(480));
    ca.assert_clean("state a");
    assert!(ca.note_ons().count() > 5);
    assert!(ca
        .note_ons()
        .all(|e| e.channel == 2 && (e.velocity * 127.0).round() == 100.0));
    assert_eq!(ca.events, cb.events);
}

fn corrupt_or_foreign_state_is_refused_or_ignored_without_harm<F: Format>() {
    let mut host = F::load();
    let defaults = param_values(&mut host);
    let _ = host.load_state(&F::frame_state(b"garbage{"));
    let _ = host.load_state(b"\x05\x00\x00\x00\x00\x00\x00\x00garbage");
    assert_eq!(param_values(&mut host), defaults);
    // Well-formed, but from some other version: unknown fields and a bad model name.
    let foreign = br#"{"version":"0.0.1","params":{"nosuch":{"f32":1.0},"vel":{"bool":true}},"fields":{"model-name":"[1,2]","other":"x"}}"#;
    let _ = host.load_state(&F::frame_state(foreign));
    assert_eq!(param_values(&mut host), defaults);
    select_model(&mut host, TEST_MODEL);
    let c = capture_run(host, 20.0, BufferSizes::Fixed(512));
    c.assert_clean("after a corrupt state");
    assert!(c.note_ons().count() > 0);
}

fn unusable_saved_values_load_their_defaults<F: Format>() {
    let mut host = customized::<F>();
    let defaults = param_values(&mut F::load());
    // A usable channel and model name; everything else missing, out of range or of the wrong
    // type. The model index is missing too: it follows the name.
    let damaged = br#"{"version":"0.1.0","params":{"chan":{"i32":7},"temp":{"f32":1e30},"tscale":{"f32":-3.0},"gate":{"bool":true},"vel":{"i32":0},"seed":{"i32":-1},"sync":{"f32":1.0}},"fields":{"model-name":"\"tiny-test\""}}"#;
    host.load_state(&F::frame_state(damaged))
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

fn parameters_and_their_texts<F: Format>() {
    let mut host = F::load();
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

fn each_built_in_model_plays_on_the_grid<F: Format>() {
    let shipped = shipped_models();
    assert!(!shipped.is_empty(), "no complete model folder in models/");
    for name in shipped {
        let mut host = F::load();
        select_model(&mut host, &name);
        let started = std::time::Instant::now();
        play_on_the_grid(host, 60.0, 13, &format!("built-in model {name}"));
        eprintln!(
            "{name}: a minute in {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
}

fn model_list_has_the_shipped_and_user_models<F: Format>() {
    let fixture = setup();
    let mut host = F::load();
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

fn broken_model_is_logged_and_falls_back<F: Format>() {
    let fixture = setup();
    let mut host = F::load();
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

// What only one format has, and the two formats against each other.

#[test]
fn clap_descriptor_is_an_instrument() {
    setup();
    let features = deepmidi_host_tests::clap_host::ClapHost::features(&bundles::clap_library());
    assert!(features.iter().any(|f| f == "instrument"), "{features:?}");
    assert!(!features.iter().any(|f| f == "synthesizer"), "{features:?}");
}

#[test]
fn clap_and_vst3_report_the_workspace_version() {
    setup();
    let clap = deepmidi_host_tests::clap_host::ClapHost::version(&bundles::clap_library());
    assert_eq!(
        clap,
        env!("CARGO_PKG_VERSION"),
        "the CLAP descriptor's version"
    );
    assert_eq!(
        vst3().version,
        env!("CARGO_PKG_VERSION"),
        "the VST3 factory's version"
    );
}

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
    assert!(c.notes().len() > 10, "only {} notes", c.notes().len());
    assert_same_notes(&c.notes(), &v.notes(), 1, "CLAP against VST3");
}
