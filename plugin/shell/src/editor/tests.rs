//! The window's controls, driven headless (egui_kittest: egui's own input and AccessKit
//! tree, no window or GPU): each control must change its parameter, through the parameter
//! system's begin/set/end gestures as a host sees them.

use super::EditorView;
use crate::DeepMidiParams;
use deepmidi_engine::catalogue::{model_cards, ModelCard, ModelEntry, ModelNames, ModelSource};
use deepmidi_engine::corpus::read_piece;
use deepmidi_engine::monitor::{monitor_channel, NoteHistory, MONITOR_CAPACITY};
use deepmidi_engine::player::Player;
use deepmidi_engine::realtime::Transport;
use egui::Role;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use nice_plug::context::gui::GuiContext;
use nice_plug::context::gui::GuiContextInner;
use nice_plug::context::PluginApi;
use nice_plug::params::internals::ParamPtr;
use nice_plug::prelude::{Params, PluginState};
use std::sync::{Arc, Mutex};

/// A host that applies every change at once and logs the gestures: (parameter name, what).
#[derive(Default)]
pub struct RecordingHost {
    pub log: Mutex<Vec<(String, Gesture)>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Gesture {
    Begin,
    Set(f32),
    End,
}

impl RecordingHost {
    fn record(&self, param: ParamPtr, gesture: Gesture) {
        // SAFETY: the pointers come from the plugin's own live parameters.
        let name = unsafe { param.name() }.to_owned();
        self.log.lock().unwrap().push((name, gesture));
    }

    /// The parameters set (with the values), each inside a begin/end pair.
    pub fn changes(&self) -> Vec<(String, f32)> {
        let log = self.log.lock().unwrap();
        let mut open: Vec<&str> = Vec::new();
        let mut changes = Vec::new();
        for (name, gesture) in log.iter() {
            match gesture {
                Gesture::Begin => open.push(name),
                Gesture::Set(v) => {
                    assert!(
                        open.contains(&name.as_str()),
                        "{name} set outside a gesture"
                    );
                    changes.push((name.clone(), *v));
                }
                Gesture::End => open.retain(|n| n != name),
            }
        }
        assert!(open.is_empty(), "gestures left open: {open:?}");
        changes
    }
}

impl GuiContextInner for RecordingHost {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }

    unsafe fn raw_begin_set_parameter(&self, param: ParamPtr) {
        self.record(param, Gesture::Begin);
    }

    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        self.record(param, Gesture::Set(normalized));
        // SAFETY: as above; the host applies the value as a parameter change.
        unsafe { param._internal_set_normalized_value(normalized) };
    }

    unsafe fn raw_end_set_parameter(&self, param: ParamPtr) {
        self.record(param, Gesture::End);
    }

    fn get_state(&self) -> PluginState {
        PluginState {
            version: String::new(),
            params: Default::default(),
            fields: Default::default(),
        }
    }

    fn set_state(&self, _state: PluginState) {}

    fn request_restart(&self) {}
}

struct Fixture {
    params: Arc<DeepMidiParams>,
    host: Arc<RecordingHost>,
    context: GuiContext,
    view: EditorView,
}

fn fixture() -> Fixture {
    fixture_for(&[])
}

/// A window's parameters for the model list `models`.
fn fixture_for(models: &[ModelEntry]) -> Fixture {
    let params = Arc::new(DeepMidiParams::new(ModelNames::new(models)));
    let host = Arc::new(RecordingHost::default());
    Fixture {
        context: GuiContext::new(host.clone()),
        params,
        host,
        view: EditorView::default(),
    }
}

fn harness() -> Harness<'static, Fixture> {
    Harness::builder()
        .with_size(egui::vec2(500.0, 1400.0))
        // Frames as a window draws them, so that two clicks can make a double click.
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, f: &mut Fixture| {
                let setter = f.context.param_setter();
                f.view.controls(ui, &f.params, &setter);
            },
            fixture(),
        )
}

/// A parameter, by its name.
fn param(params: &DeepMidiParams, name: &str) -> ParamPtr {
    params
        .param_map()
        .into_iter()
        .find(|(_, p, _)| unsafe { p.name() } == name)
        .map(|(_, p, _)| p)
        .unwrap_or_else(|| panic!("no parameter {name}"))
}

/// The parameter's normalized value, by its name.
fn value(params: &DeepMidiParams, name: &str) -> f32 {
    // SAFETY: the pointer is into `params`, alive here.
    unsafe { param(params, name).unmodulated_normalized_value() }
}

fn default(params: &DeepMidiParams, name: &str) -> f32 {
    // SAFETY: as above.
    unsafe { param(params, name).default_normalized_value() }
}

const SLIDERS: [&str; 11] = [
    "Temperature",
    "Rhythm Temperature",
    "Gate",
    "Velocity",
    "MIDI Channel",
    "Tempo Scale",
    "Lowest Note",
    "Highest Note",
    "Answer After",
    "Answer Length",
    "Seed",
];

/// A click on a slider sets its parameter where it was clicked; a double click sets the
/// default back. Every change is a begin/set/end gesture.
#[test]
fn every_slider_sets_its_parameter() {
    let mut h = harness();
    h.run();
    for name in SLIDERS {
        let node = h.get_by_role_and_label(Role::Slider, name);
        let rect = node.rect();
        // Three quarters along the bar (the value box follows it).
        let bar = super::controls::SLIDER_WIDTH;
        let at = egui::pos2(rect.left() + bar * 0.75, rect.center().y);
        click_at(&mut h, at, egui::Modifiers::NONE);
        let set = value(&h.state().params, name);
        // Stepped parameters land on the nearest step (MIDI Channel's are 1/15 apart).
        assert!(
            (set - 0.75).abs() < 0.06,
            "{name}: {set} after a click at 3/4"
        );
        // Two clicks, a few frames apart: a double click.
        // Long enough after that click not to make a triple click of it.
        pause(&mut h);
        double_click_at(&mut h, at);
        pause(&mut h);
        let back = value(&h.state().params, name);
        let reset = default(&h.state().params, name);
        assert!(
            (back - reset).abs() < 1e-5,
            "{name}: {back} after a double click, not {reset}"
        );
    }
    let changed: Vec<String> = h.state().host.changes().into_iter().map(|c| c.0).collect();
    for name in SLIDERS {
        assert!(
            changed.iter().any(|c| c == name),
            "{name} never reached the host"
        );
    }
}

/// Typing a value: click the value, type, Enter.
#[test]
fn a_typed_value_sets_the_parameter() {
    let mut h = harness();
    h.run();
    let slider = h.get_by_role_and_label(Role::Slider, "Lowest Note").rect();
    // The value is drawn right of the bar.
    // The value box follows the bar.
    let value_box = slider.left_center() + egui::vec2(super::controls::SLIDER_WIDTH + 25.0, 0.0);
    click_at(&mut h, value_box, egui::Modifiers::NONE);
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.run();
    h.get_by_role(Role::TextInput).type_text("E2");
    h.run();
    h.key_press(egui::Key::Enter);
    h.run();
    assert_eq!(h.state().params.lowest.value(), 40, "E2 is MIDI note 40");
}

#[test]
fn switches_and_lists_set_their_parameters() {
    let mut h = harness();
    h.run();
    for name in ["Listen", "Thru", "Sync to Bar"] {
        h.get_by_role_and_label(Role::CheckBox, name).click();
        h.run();
        assert_eq!(value(&h.state().params, name), 1.0, "{name}");
    }
    h.get_by_role_and_label(Role::ComboBox, "Scale").click();
    h.run();
    h.get_by_label("Dorian").click();
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Root").click();
    h.run();
    h.get_by_label("F#").click();
    h.run();
    let lock = h.state().params.controls().engine.lock;
    assert_eq!(lock.scale.label(), "Dorian");
    assert_eq!(lock.root.to_string(), "F#");
    h.get_by_label("Reset").click();
    h.run();
    assert!(h.state().params.reset.value(), "Reset held on");
    std::thread::sleep(std::time::Duration::from_millis(120));
    h.run();
    assert!(!h.state().params.reset.value(), "Reset released");
}

/// Clicking the keyboard sets the range: left click the lowest note, right click the
/// highest.
#[test]
fn the_keyboard_sets_the_range() {
    let mut h = harness();
    h.run();
    let board = h.get_by_label("Note range keyboard").rect();
    let key = |pitch: u8| super::keyboard::key_rect(board, pitch);
    // White keys' lower halves: C3 (48) and G5 (79).
    let low = egui::pos2(key(48).center().x, key(48).bottom() - 3.0);
    let high = egui::pos2(key(79).center().x, key(79).bottom() - 3.0);
    click_at(&mut h, low, egui::Modifiers::NONE);
    click_button_at(&mut h, high, egui::PointerButton::Secondary);
    let lock = h.state().params.controls().engine.lock;
    assert_eq!(lock.range(), (48, 79));
}

fn click_at(h: &mut Harness<'_, Fixture>, at: egui::Pos2, modifiers: egui::Modifiers) {
    press(h, at, egui::PointerButton::Primary, modifiers);
}

/// Longer than a double click's delay.
fn pause(h: &mut Harness<'_, Fixture>) {
    for _ in 0..30 {
        h.step();
    }
}

/// Two clicks in quick succession.
fn double_click_at(h: &mut Harness<'_, Fixture>, at: egui::Pos2) {
    for pressed in [true, false, true, false] {
        h.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
        h.step();
    }
    h.run();
}

fn click_button_at(h: &mut Harness<'_, Fixture>, at: egui::Pos2, button: egui::PointerButton) {
    press(h, at, button, egui::Modifiers::NONE);
}

fn press(
    h: &mut Harness<'_, Fixture>,
    at: egui::Pos2,
    button: egui::PointerButton,
    modifiers: egui::Modifiers,
) {
    h.event(egui::Event::PointerMoved(at));
    // Down and up in frames of their own, as a hand clicks.
    for pressed in [true, false] {
        let event = egui::Event::PointerButton {
            pos: at,
            button,
            pressed,
            modifiers,
        };
        h.event_modifiers(event, modifiers);
        h.run();
    }
}

/// The whole window, with the live view of the audio thread.
struct Window {
    fixture: Fixture,
    live: super::Live,
}

fn window(
    models: &[ModelEntry],
    cards: Vec<ModelCard>,
    history: NoteHistory,
) -> Harness<'static, Window> {
    Harness::builder()
        .with_size(egui::vec2(1000.0, 900.0))
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, w: &mut Window| {
                let f = &mut w.fixture;
                let setter = f.context.param_setter();
                f.view.show(ui, &f.params, &setter, &w.live);
            },
            Window {
                fixture: fixture_for(models),
                live: super::Live { history, cards },
            },
        )
}

fn builtin_entries() -> Vec<ModelEntry> {
    crate::BUILTIN_MODELS
        .iter()
        .map(|b| ModelEntry {
            name: b.name.to_owned(),
            source: ModelSource::Builtin(b),
        })
        .collect()
}

/// Built-in and user models each have a card saying what they are; a broken one says why it
/// does not load; clicking a card selects its model.
#[test]
fn the_window_shows_the_release_version() {
    let entries = builtin_entries();
    let cards = model_cards(&entries);
    let mut h = window(&entries, cards, NoteHistory::new());
    h.run();
    let label = super::view::version_label();
    assert_eq!(label, format!("v{}", env!("CARGO_PKG_VERSION")));
    h.get_by_label(&label);
}

#[test]
fn the_model_picker_shows_every_model_with_its_card() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/irish");
    let mine = dir.path().join("mine");
    std::fs::create_dir(&mine).unwrap();
    for file in ["model.json", "note.safetensors", "offset.safetensors"] {
        std::fs::copy(shipped.join(file), mine.join(file)).unwrap();
    }
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("model.json"), "{ broken").unwrap();
    let mut entries = builtin_entries();
    for (name, path) in [("mine", mine), ("broken", broken)] {
        entries.push(ModelEntry {
            name: name.to_owned(),
            source: ModelSource::Folder(path),
        });
    }
    let cards = model_cards(&entries);
    let mine_slot = cards.iter().position(|c| c.name == "mine").unwrap() as i32;
    let mut h = window(&entries, cards, NoteHistory::new());
    h.run();
    for name in ["irish", "bach", "mine", "broken"] {
        h.get_by_label(&format!("Model {name}"));
    }
    // From models/irish/model.json and eval.json.
    h.get_by_label_contains("built-in · irish · 724 files");
    h.get_by_label_contains("1.69 nats per onset on held-out music (baseline 3.65)");
    h.get_by_label_contains("yours · irish · 724 files");
    h.get_by_label_contains("failed to load");
    h.get_by_label("Model mine").click();
    h.run();
    assert_eq!(h.state().fixture.params.model.value(), mine_slot);
}

/// The save button keeps the last 8 bars of what the player played, as a MIDI file whose
/// notes sit where they were played in their bars.
#[test]
fn the_save_button_keeps_the_bars_that_were_played() {
    let keep = tempfile::tempdir().unwrap();
    std::env::set_var(deepmidi_engine::monitor::KEEP_DIR_ENV, keep.path());
    // The player as the plugin runs it, 21.3 bars at 120 BPM, the window open.
    let params = DeepMidiParams::new(ModelNames::new(&builtin_entries()));
    let mut player = Player::new(params.seed());
    player.activate(
        &builtin_entries(),
        48_000.0,
        &params.controls(),
        &mut |_| {},
    );
    let (mut sender, mut receiver) = monitor_channel(MONITOR_CAPACITY);
    receiver.set_open(true);
    let mut history = NoteHistory::new();
    let (frames, buffers) = (512u32, 4000i64);
    let mut played = Vec::new();
    for k in 0..buffers {
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some((k * 512) as f64 / 24_000.0),
            bar_start_beats: Some(((k * 512) as f64 / 24_000.0 / 4.0).floor() * 4.0),
            ..Default::default()
        };
        let at = k * i64::from(frames);
        player.process(
            frames,
            &transport,
            &params.controls(),
            &[],
            Some(&mut sender),
            &mut |e| {
                if e.velocity().is_some() {
                    played.push(((at + i64::from(e.sample())) as f64 / 24_000.0, e.pitch()));
                }
                true
            },
        );
        receiver.drain(|e| history.add(e));
    }
    // The last buffer starts at beat 85.31: the last complete bar ends at 84, and 8 bars
    // start at 52.
    let (from, to) = (52.0, 84.0);
    let mut want: Vec<(u64, u8)> = played
        .iter()
        .filter(|(beat, _)| (from..to).contains(beat))
        .map(|&(beat, pitch)| (((beat - from) * 960.0).round() as u64, pitch))
        .collect();
    want.sort();
    assert!(want.len() > 30, "{} notes in 8 bars", want.len());

    let mut h = window(&builtin_entries(), Vec::new(), history);
    h.run();
    h.get_by_label("8 bars").click();
    h.run();
    h.get_by_label("Save as MIDI file").click();
    h.run();
    let path = match &h.state().fixture.view.kept {
        Some(Ok(path)) => path.clone(),
        other => panic!("nothing kept: {other:?}"),
    };
    assert!(path.starts_with(keep.path()), "{}", path.display());
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    h.get_by_label_contains(&name);
    let piece = read_piece(&std::fs::read(&path).unwrap()).unwrap();
    let scale = 960.0 / f64::from(piece.ticks_per_quarter);
    let mut got: Vec<(u64, u8)> = piece
        .onsets
        .iter()
        .flat_map(|o| {
            o.pitches
                .iter()
                .map(move |&p| ((o.tick as f64 * scale).round() as u64, p))
        })
        .collect();
    got.sort();
    assert_eq!(got, want);
}
