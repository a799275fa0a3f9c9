//! The editor window as a DAW on Linux opens it: the CLAP bundle's GUI extension, embedded
//! in an X11 window the host made, on a private Xvfb with Mesa's software OpenGL. The window
//! must open at the size the plugin reported, be drawn (not blank) soon after `create`, and,
//! while the plugin plays, show its notes on the piano roll.
//!
//! Screenshots go to `target/editor-screenshots/`; with `DEEPMIDI_UPDATE_SCREENSHOT=1` the
//! one taken while playing is also written to `tests/screenshots/editor.png` (the README's).

use deepmidi_host_tests::bundles::{clap_library, target_dir, workspace_root};
use deepmidi_host_tests::clap_gui::EditorGui;
use deepmidi_host_tests::clap_host::ClapHost;
use deepmidi_host_tests::display::{screenshot_path, Image, ParentWindow, Xvfb};
use deepmidi_host_tests::host::Session;
use std::time::{Duration, Instant};

/// The piano roll's colours (the editor's `piano_roll.rs`).
const PLAYED_NOTE: [u8; 3] = [90, 170, 255];
const ROLL_BACKGROUND: [u8; 3] = [24, 24, 24];
/// The host's window colour, under the editor: seen only where the editor draws nothing.
const HOST_BACKGROUND: [u8; 3] = [255, 0, 255];
/// How long the first frame may take after `create`: about 0.2 s on a 2-core machine with
/// Mesa's software renderer; the bound leaves room for a loaded CI machine.
const FIRST_FRAME_BOUND: Duration = Duration::from_secs(3);

/// A drawn egui window has hundreds of colours (antialiased text and edges); an undrawn one
/// a single colour, or garbage of a few.
fn is_drawn(image: &Image) -> bool {
    image.has_colors(16)
}

/// The plugin as a musician first opens it: default settings, and only its built-in models
/// (an empty models folder, not the fixture's test models: the README shows this window).
fn fresh_plugin() -> ClapHost {
    let root = target_dir().join("host-tests/editor-window");
    let xdg = root.join("xdg");
    std::fs::create_dir_all(&xdg).unwrap();
    std::env::set_var("XDG_DATA_HOME", &xdg);
    std::env::set_var("NICE_LOG", root.join("plugin.log"));
    ClapHost::load(&clap_library())
}

#[test]
fn screenshots_read_the_x_servers_pixels() {
    let xvfb = Xvfb::start();
    let colour = [12, 200, 99];
    let window = ParentWindow::create(&xvfb.display, 320, 200, colour);
    // The server paints the background when it maps the window, before it answers the
    // screenshot's request.
    let image = window.screenshot(window.id).expect("a mapped window");
    assert_eq!((image.width, image.height), (320, 200));
    assert_eq!(
        image.count_near(colour, 0),
        320 * 200,
        "every pixel {colour:?}"
    );
    assert!(!is_drawn(&image));
    image.save_png(&screenshot_path("plain-window.png"));
}

#[test]
fn editor_window_draws_the_notes_it_plays() {
    let xvfb = Xvfb::start();
    // Before the plugin is loaded: the window reads these when it opens.
    std::env::set_var("DISPLAY", &xvfb.display);
    std::env::set_var("LIBGL_ALWAYS_SOFTWARE", "1");
    let mut session = Session::new(fresh_plugin(), 120.0);

    let started = Instant::now();
    let editor = EditorGui::create(&mut session.host);
    let (width, height) = editor.size();
    let parent = ParentWindow::create(&xvfb.display, width, height, HOST_BACKGROUND);
    editor.embed(&mut session.host, parent.id);

    // The first drawn frame, in the host's window.
    let (first_frame, opened_in) = loop {
        session.host.main_thread_callback();
        if let Some(shot) = parent.screenshot(parent.id).filter(is_drawn) {
            break (shot, started.elapsed());
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the editor window drew nothing within 10 s of gui create"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    println!("editor window: first frame drawn {opened_in:.1?} after gui create");
    first_frame.save_png(&screenshot_path("editor-first-frame.png"));
    assert!(
        opened_in < FIRST_FRAME_BOUND,
        "the first frame took {opened_in:?}"
    );
    let windows = parent.children();
    assert_eq!(windows.len(), 1, "the plugin's window in the host's");
    assert_eq!(
        parent.size_of(windows[0]),
        Some((width, height)),
        "the window's size is not the size the plugin reported"
    );

    // Six seconds of audio at 120 BPM (three bars), a second at a time with pauses in
    // real time, so the window (redrawing every 33 ms) gets frames as the notes come.
    for _ in 0..6 {
        session.run_fixed(1.0, 512);
        for _ in 0..10 {
            std::thread::sleep(Duration::from_millis(10));
            session.host.main_thread_callback();
        }
    }
    assert!(
        !session.capture.events.is_empty(),
        "the plugin played no notes"
    );
    std::thread::sleep(Duration::from_millis(200));
    session.host.main_thread_callback();
    let shot = parent.screenshot(parent.id).expect("the host's window");
    let path = screenshot_path("editor.png");
    shot.save_png(&path);
    if std::env::var_os("DEEPMIDI_UPDATE_SCREENSHOT").is_some_and(|v| v == "1") {
        shot.save_png(&workspace_root().join("tests/screenshots/editor.png"));
    }

    let what = format!("the screenshot {}", path.display());
    assert!(
        !editor.closed_by_plugin(&mut session.host),
        "the plugin closed its window"
    );
    assert!(is_drawn(&shot), "{what} is blank");
    assert!(shot.commonest_share() < 0.9, "{what} is mostly one colour");
    assert_eq!(
        shot.count_near(HOST_BACKGROUND, 0),
        0,
        "{what}: the editor leaves part of the host's window undrawn"
    );
    let background = shot.count_near(ROLL_BACKGROUND, 2);
    let notes = shot.count_near(PLAYED_NOTE, 12);
    println!(
        "editor window: {width}x{height}, {} colours, {background} piano roll background \
         pixels, {notes} played-note pixels",
        shot.distinct_colors()
    );
    assert!(background >= 10_000, "{what} shows no piano roll");
    assert!(
        notes >= 200,
        "{what} shows no played notes on the piano roll"
    );
    editor.destroy(&mut session.host);
}

/// The window's size is saved with the project: a project saved with the window at 800×520
/// opens it at 800×520, and one with a damaged size opens at the default.
#[test]
fn the_window_opens_at_the_size_saved_with_the_project() {
    use deepmidi_host_tests::clap_host::frame_state;
    use deepmidi_host_tests::host::PluginHost;
    let _xvfb = Xvfb::start();
    let saved_with = |size: serde_json::Value| {
        let mut host = fresh_plugin();
        let state = host.save_state();
        let mut json: serde_json::Value = serde_json::from_slice(&state[8..]).unwrap();
        json["fields"]["editor-size"] = serde_json::Value::String(size.to_string());
        host.load_state(&frame_state(json.to_string().as_bytes()))
            .unwrap();
        let gui = EditorGui::create(&mut host);
        let size = gui.size();
        gui.destroy(&mut host);
        size
    };
    let default = saved_with(serde_json::json!({"width": 980, "height": 640}));
    assert_eq!(default, (980, 640));
    assert_eq!(
        saved_with(serde_json::json!({"width": 800, "height": 520})),
        (800, 520)
    );
    // Out of bounds: the nearest size the window allows.
    assert_eq!(
        saved_with(serde_json::json!({"width": 1, "height": 99999})),
        (720, 2560)
    );
}
