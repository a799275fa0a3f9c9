//! One control per parameter. Every change goes through the parameter system (begin, set,
//! end), so host automation, undo and the saved state see what the window does, and the
//! window shows what automation does. Each control carries its parameter's name as its
//! accessible label: screen readers, and the headless UI tests, find it by that name.

use egui::{self, PointerButton, Response, Role, Ui, WidgetInfo};
use nice_plug::context::gui::ParamSetter;
use nice_plug::prelude::{BoolParam, IntParam, Param};

/// Width of a slider's bar, in logical pixels (its value is shown beside it).
pub const SLIDER_WIDTH: f32 = 130.0;
/// Width of the name column, so the sliders of a group line up.
const NAME_WIDTH: f32 = 132.0;

/// Sets a parameter as one gesture.
pub fn set<P: Param>(setter: &ParamSetter, param: &P, value: P::Plain) {
    setter.begin_set_parameter(param);
    setter.set_parameter(param, value);
    setter.end_set_parameter(param);
}

/// The parameter's name in the name column.
fn name(ui: &mut Ui, text: &str) {
    ui.add_sized(
        [NAME_WIDTH, ui.spacing().interact_size.y],
        egui::Label::new(text).truncate(),
    );
}

/// A slider for a number parameter, its value shown as the parameter's own text: drag or
/// click to set, double-click for the default, click the value to type one (Enter sets it,
/// Escape leaves it). A press opens one gesture that the release closes, so a host records a
/// drag as one touch; a typed value or a reset is a gesture of its own.
pub fn slider<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter) -> Response {
    ui.horizontal(|ui| {
        name(ui, param.name());
        let mut normalized = f64::from(param.unmodulated_normalized_value());
        let mut slider = egui::Slider::new(&mut normalized, 0.0..=1.0).show_value(false);
        if let Some(steps) = param.step_count() {
            slider = slider.step_by(1.0 / steps.max(1) as f64);
        }
        ui.spacing_mut().slider_width = SLIDER_WIDTH;
        let response = ui.add(slider);
        let gesture = response.id.with("gesture");
        let open = ui.data(|d| d.get_temp::<bool>(gesture).unwrap_or(false));
        let held = response.is_pointer_button_down_on();
        if response.changed() {
            if !open {
                setter.begin_set_parameter(param);
            }
            setter.set_parameter_normalized(param, normalized as f32);
            if held {
                ui.data_mut(|d| d.insert_temp(gesture, true));
            } else if !open {
                setter.end_set_parameter(param);
            }
        }
        if !held && ui.data(|d| d.get_temp::<bool>(gesture).unwrap_or(false)) {
            setter.end_set_parameter(param);
            ui.data_mut(|d| d.insert_temp(gesture, false));
        }
        // A slider senses drags only: its double click is read from the pointer.
        let double_click = ui.input(|i| i.pointer.button_double_clicked(PointerButton::Primary));
        if double_click && response.contains_pointer() {
            set(setter, param, param.default_plain_value());
        }
        value_entry(ui, param, setter, response.id.with("entry"));
        let label = param.name().to_owned();
        response.widget_info(|| WidgetInfo::labeled(Role::Slider, true, &label));
        response
    })
    .inner
}

/// The value as text; clicked, a field to type a new one in.
fn value_entry<P: Param>(ui: &mut Ui, param: &P, setter: &ParamSetter, id: egui::Id) {
    let editing: Option<String> = ui.data(|d| d.get_temp(id));
    let Some(mut text) = editing else {
        let shown = param.normalized_value_to_string(param.unmodulated_normalized_value(), true);
        let button = egui::Button::new(shown).frame(false);
        if ui
            .add(button)
            .on_hover_text("Click to type a value")
            .clicked()
        {
            let text =
                param.normalized_value_to_string(param.unmodulated_normalized_value(), false);
            ui.data_mut(|d| d.insert_temp(id, text));
            ui.memory_mut(|m| m.request_focus(id));
        }
        return;
    };
    let field = egui::TextEdit::singleline(&mut text)
        .id(id)
        .desired_width(70.0);
    let response = ui.add(field);
    let label = format!("{} value", param.name());
    response.widget_info(|| WidgetInfo::labeled(Role::TextInput, true, &label));
    let (enter, escape) = ui.input(|i| {
        (
            i.key_pressed(egui::Key::Enter),
            i.key_pressed(egui::Key::Escape),
        )
    });
    if enter {
        if let Some(value) = param.string_to_normalized_value(&text) {
            setter.begin_set_parameter(param);
            setter.set_parameter_normalized(param, value);
            setter.end_set_parameter(param);
        }
    }
    if enter || escape || response.lost_focus() {
        ui.data_mut(|d| d.remove::<String>(id));
    } else {
        ui.data_mut(|d| d.insert_temp(id, text));
    }
}

/// An on/off switch; double-click sets its default.
pub fn toggle(ui: &mut Ui, param: &BoolParam, setter: &ParamSetter) -> Response {
    let mut on = param.value();
    let response = ui.checkbox(&mut on, param.name());
    if response.double_clicked() {
        set(setter, param, param.default_plain_value());
    } else if response.changed() {
        set(setter, param, on);
    }
    response
}

/// A list to pick one value of a stepped parameter from, each shown as the parameter's
/// text for it; double-click sets the default.
pub fn choice(ui: &mut Ui, param: &IntParam, setter: &ParamSetter) -> Response {
    let steps = param.step_count().unwrap_or(0).max(1);
    ui.horizontal(|ui| {
        name(ui, param.name());
        let text = |v: i32| param.normalized_value_to_string(param.preview_normalized(v), false);
        let current = param.value();
        let response = egui::ComboBox::from_id_salt(param.name())
            .selected_text(text(current))
            .width(SLIDER_WIDTH)
            .show_ui(ui, |ui| {
                for k in 0..=steps {
                    let v = param.preview_plain(k as f32 / steps as f32);
                    if ui.selectable_label(v == current, text(v)).clicked() && v != current {
                        set(setter, param, v);
                    }
                }
            })
            .response;
        let label = param.name().to_owned();
        response.widget_info(|| WidgetInfo::labeled(Role::ComboBox, true, &label));
        if response.double_clicked() {
            set(setter, param, param.default_plain_value());
        }
        response
    })
    .inner
}
