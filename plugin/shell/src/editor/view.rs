//! The window's layout: the controls grouped as a musician thinks of them, beside what
//! DeepMIDI plays. Kept apart from the window itself (`mod.rs`), so the headless UI tests
//! draw exactly what the window draws.

use super::controls::{choice, set, slider, toggle};
use super::keyboard::keyboard;
use super::models::model_picker;
use super::piano_roll::{piano_roll, HEARD, PLAYED, SHOWN_BARS};
use crate::DeepMidiParams;
use deepmidi_engine::catalogue::ModelCard;
use deepmidi_engine::monitor::{keep_bars, keep_dir, KeepBars, NoteHistory};
use egui::{self, Color32, Ui};
use nice_plug::context::gui::ParamSetter;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long the Reset button holds its parameter on, so the audio thread sees the edge
/// whatever its buffer size.
const RESET_HOLD: Duration = Duration::from_millis(100);

/// Width of the controls' column.
const CONTROLS_WIDTH: f32 = 370.0;
const ROLL_HEIGHT: f32 = 250.0;

/// The plugin's version as the window's corner shows it: the workspace's, through nice-plug's
/// `Plugin::VERSION`, as the CLAP descriptor, the VST3 factory and saved states have it.
pub fn version_label() -> String {
    format!(
        "v{}",
        <crate::DeepMidi as nice_plug::prelude::Plugin>::VERSION
    )
}

/// What the window shows besides the parameters: what it heard from the audio thread, and
/// the model cards.
pub struct Live {
    pub history: NoteHistory,
    pub cards: Vec<ModelCard>,
}

/// What the window remembers between frames.
pub struct EditorView {
    /// When the Reset button was pressed, until its parameter is released.
    reset_since: Option<Instant>,
    /// How many bars the save button keeps.
    pub keep: KeepBars,
    /// The last file kept, or why none was.
    pub kept: Option<Result<PathBuf, String>>,
}

impl Default for EditorView {
    fn default() -> Self {
        EditorView {
            reset_since: None,
            keep: KeepBars::Eight,
            kept: None,
        }
    }
}

impl EditorView {
    /// The whole window: the controls on the left; the piano roll, the save button and the
    /// model cards on the right.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        params: &DeepMidiParams,
        setter: &ParamSetter,
        live: &Live,
    ) {
        egui::Frame::new()
            .inner_margin(8.0)
            .show(ui, |ui| self.columns(ui, params, setter, live));
    }

    fn columns(&mut self, ui: &mut Ui, params: &DeepMidiParams, setter: &ParamSetter, live: &Live) {
        ui.horizontal_top(|ui| {
            ui.vertical(|ui| {
                ui.set_width(CONTROLS_WIDTH);
                egui::ScrollArea::vertical()
                    .id_salt("controls")
                    .show(ui, |ui| self.controls(ui, params, setter));
            });
            ui.separator();
            ui.vertical(|ui| {
                ui.horizontal(|ui| {
                    ui.heading("DeepMIDI");
                    ui.label(format!("the last {SHOWN_BARS} bars:"));
                    ui.colored_label(PLAYED, "played");
                    ui.colored_label(HEARD, "heard");
                    // The release in the corner, so that a bug report or a screenshot says
                    // which one it was.
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.weak(version_label());
                    });
                });
                piano_roll(ui, &live.history, ROLL_HEIGHT);
                self.keep_row(ui, params, live);
                ui.separator();
                egui::ScrollArea::vertical()
                    .id_salt("models")
                    .show(ui, |ui| model_picker(ui, &live.cards, params, setter));
            });
        });
    }

    /// Keep the bars you liked: the last 4, 8 or 16 bars of DeepMIDI's notes as a MIDI file.
    fn keep_row(&mut self, ui: &mut Ui, params: &DeepMidiParams, live: &Live) {
        ui.horizontal(|ui| {
            ui.label("Keep the last");
            for bars in KeepBars::ALL {
                ui.selectable_value(&mut self.keep, bars, bars.label());
            }
            if ui.button("Save as MIDI file").clicked() {
                let slot = params.model_slot();
                let model = live.cards.get(slot).map_or("deepmidi", |c| c.name.as_str());
                let kept = keep_bars(&live.history, self.keep, model);
                self.kept = Some(kept.map_err(|e| e.to_string()));
            }
        });
        match &self.kept {
            Some(Ok(path)) => {
                ui.label(format!("Saved {}", home_relative(path)));
            }
            Some(Err(why)) => {
                ui.colored_label(Color32::LIGHT_RED, why);
            }
            None => {
                let folder =
                    keep_dir().map_or("(no music folder)".to_owned(), |d| home_relative(&d));
                ui.small(format!("Files go to {folder}"));
            }
        }
    }

    /// Draws the controls for `params`, setting them through `setter`.
    pub fn controls(&mut self, ui: &mut Ui, params: &DeepMidiParams, setter: &ParamSetter) {
        group(ui, "Sound", |ui| {
            slider(ui, &params.temperature, setter);
            slider(ui, &params.rhythm_temperature, setter);
            slider(ui, &params.gate, setter);
            slider(ui, &params.velocity, setter);
            slider(ui, &params.channel, setter);
        });
        group(ui, "Time", |ui| {
            slider(ui, &params.tempo_scale, setter);
            toggle(ui, &params.sync_to_bar, setter);
        });
        group(ui, "Key", |ui| {
            choice(ui, &params.scale, setter);
            choice(ui, &params.root, setter);
            slider(ui, &params.lowest, setter);
            slider(ui, &params.highest, setter);
            keyboard(ui, params, setter);
        });
        group(ui, "Listen", |ui| {
            toggle(ui, &params.listen, setter);
            slider(ui, &params.answer_after, setter);
            slider(ui, &params.answer_length, setter);
            toggle(ui, &params.thru, setter);
        });
        group(ui, "Seed", |ui| {
            slider(ui, &params.seed, setter);
            self.reset_button(ui, params, setter);
        });
    }

    /// Reset is a momentary parameter: on while pressed (at least [`RESET_HOLD`]).
    fn reset_button(&mut self, ui: &mut Ui, params: &DeepMidiParams, setter: &ParamSetter) {
        let response = ui
            .button("Reset")
            .on_hover_text("Forget what was played and start the stream afresh");
        if response.clicked() {
            set(setter, &params.reset, true);
            self.reset_since = Some(Instant::now());
        }
        if let Some(since) = self.reset_since {
            if since.elapsed() >= RESET_HOLD {
                set(setter, &params.reset, false);
                self.reset_since = None;
            } else {
                ui.ctx().request_repaint_after(RESET_HOLD);
            }
        }
    }
}

/// A path with the home folder shown as `~`, as musicians know it.
fn home_relative(path: &std::path::Path) -> String {
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    match home.and_then(|h| path.strip_prefix(h).ok().map(|p| p.to_path_buf())) {
        Some(rest) => format!("~/{}", rest.display()),
        None => path.display().to_string(),
    }
}

/// A titled frame around a group of controls.
fn group(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.strong(title);
        add(ui);
    });
}
