//! No heap allocation on the audio thread: the debug CLAP built with `assert_process_allocs`
//! (`cargo xtask bundle-alloc-check`) aborts the process on any allocation inside `process`,
//! so the minute of playing runs in a child process and the test reads its fate. The editor
//! window is open throughout (in Xvfb), so the notes also flow to it.

use deepmidi_host_tests::bundles;
use deepmidi_host_tests::clap_gui::EditorGui;
use deepmidi_host_tests::clap_host::ClapHost;
use deepmidi_host_tests::display::{ParentWindow, Xvfb};
use deepmidi_host_tests::fixture::{setup, BROKEN_MODEL, TEST_MODEL};
use deepmidi_host_tests::host::{select_model, set_param_text, PluginHost, Session};
use deepmidi_host_tests::transport::PositionStyle;
use std::process::Command;

const CHILD: &str = "DEEPMIDI_ALLOC_CHECK_CHILD";

#[test]
fn clap_debug_build_allocates_nothing_while_processing_for_a_minute() {
    // Fail here, with the build command, rather than in the child.
    let library = bundles::alloc_check_clap_library();
    setup();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "alloc_check_child_plays_one_minute",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, &library)
        .output()
        .expect("run the child test");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "the alloc-check run failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
}

/// The child's part (does nothing unless started by the test above).
#[test]
fn alloc_check_child_plays_one_minute() {
    let Some(library) = std::env::var_os(CHILD) else {
        return;
    };
    setup();
    // The window open all the while: the player then also feeds it every note.
    let xvfb = Xvfb::start();
    std::env::set_var("DISPLAY", &xvfb.display);
    std::env::set_var("LIBGL_ALWAYS_SOFTWARE", "1");
    let mut host = ClapHost::load(std::path::Path::new(&library));
    select_model(&mut host, TEST_MODEL);
    let mut s = Session::new(host, 120.0);
    let editor = EditorGui::create(&mut s.host);
    let (width, height) = editor.size();
    let parent = ParentWindow::create(&xvfb.display, width, height, [0, 0, 0]);
    editor.embed(&mut s.host, parent.id);
    let opened = std::time::Instant::now();
    while !parent
        .screenshot(parent.id)
        .is_some_and(|shot| shot.has_colors(16))
    {
        assert!(opened.elapsed().as_secs() < 20, "the window never drew");
        s.host.main_thread_callback();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Every audio-thread path: plain playing, parameter moves, seed change, reset, model
    // switch (to the fallback and back), key lock changes, listening to notes played in,
    // bypass, stop, loop jumps (also split at the loop end, with rounded positions), tempo
    // change, count-in, no transport.
    s.run_random(15.0, 1);
    set_param_text(&mut s.host, "Temperature", "1.7");
    set_param_text(&mut s.host, "Gate", "0.2");
    set_param_text(&mut s.host, "Seed", "9");
    s.run_random(5.0, 2);
    // The key lock: a keyed scale in a range (tonic primer, pull, mask), a new root while
    // notes are drawn ahead (a redraw), a note the model never played (the fallback), off.
    for (name, text) in [("Scale", "Dorian"), ("Root", "D"), ("Lowest Note", "G3")] {
        set_param_text(&mut s.host, name, text);
    }
    set_param_text(&mut s.host, "Rhythm Temperature", "0.3");
    s.run_random(4.0, 13);
    set_param_text(&mut s.host, "Root", "F");
    s.run_random(3.0, 14);
    set_param_text(&mut s.host, "Lowest Note", "G9");
    s.run_random(3.0, 15);
    for (name, text) in [("Scale", "Off"), ("Lowest Note", "C-1")] {
        set_param_text(&mut s.host, name, text);
    }
    s.run_random(2.0, 16);
    s.host.set_param("Reset", 1.0);
    s.run_random(2.0, 3);
    s.host.set_param("Reset", 0.0);
    select_model(&mut s.host, BROKEN_MODEL);
    s.run_random(5.0, 4);
    select_model(&mut s.host, TEST_MODEL);
    s.run_random(5.0, 5);
    // Listen and Thru while notes flow in: phrases with chords, silences answered, answers
    // cut by the next phrase, the queue fed, then Listen off mid-stream.
    set_param_text(&mut s.host, "Listen", "On");
    set_param_text(&mut s.host, "Thru", "On");
    set_param_text(&mut s.host, "Answer After", "0.5");
    set_param_text(&mut s.host, "Answer Length", "until I play");
    let from = s.transport.position_beats().ceil();
    let mut melody = Vec::new();
    for phrase in 0..6 {
        let start = from + f64::from(phrase) * 4.0;
        for k in 0..4 {
            let beat = start + f64::from(k) * 0.25;
            melody.push((beat, 0.2, 60 + (phrase * 3 + k) as u8));
            if k == 0 {
                melody.extend([(beat, 0.2, 64), (beat, 0.2, 67)]);
            }
        }
    }
    s.schedule_melody(&melody);
    let ons = s.capture.note_ons().count();
    s.run_random(12.0, 17);
    assert!(
        s.capture.note_ons().count() > ons + 40,
        "no answers and thru"
    );
    set_param_text(&mut s.host, "Listen", "Off");
    set_param_text(&mut s.host, "Thru", "Off");
    s.run_random(2.0, 18);
    s.host.set_param("Bypass", 1.0);
    s.run_random(3.0, 6);
    s.host.set_param("Bypass", 0.0);
    s.transport.playing = false;
    s.run_random(3.0, 7);
    s.transport.playing = true;
    s.transport.loop_beats = Some((0.0, 8.0));
    s.run_random(6.0, 8);
    // Ardour's way: positions rounded to 1/1920 beat, buffers split at the loop end.
    s.transport.style = PositionStyle::ARDOUR;
    s.split_at_loop_end = true;
    s.run_random(6.0, 10);
    s.transport.loop_beats = None;
    s.transport.set_tempo(150.0);
    s.run_random(5.0, 9);
    // A count-in, then no transport at all.
    s.transport.locate(-4.0);
    s.run_random(3.0, 11);
    s.no_transport = true;
    s.run_random(2.0, 12);
    s.capture.assert_clean("alloc check");
    assert!(s.capture.note_ons().count() > 0);
    editor.destroy(&mut s.host);
}
