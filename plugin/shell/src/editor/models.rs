//! The model picker: one card a model, saying what it is before the musician picks it: what
//! it learned from, its size, how well it predicts held-out music against the simplest
//! baseline, and when it was trained; a model that failed to load says why.

use super::controls::set;
use crate::DeepMidiParams;
use deepmidi_engine::catalogue::ModelCard;
use egui::{self, Color32, RichText, Ui};
use nice_plug::context::gui::ParamSetter;

/// The card's lines under the name.
pub fn card_lines(card: &ModelCard) -> Vec<String> {
    let mut lines = vec![
        format!(
            "{} · {} · {} files",
            if card.builtin { "built-in" } else { "yours" },
            card.corpus,
            card.files
        ),
        format!(
            "{} · {:.1}k weights, {:.1} MB",
            card.architecture,
            card.parameters as f64 / 1e3,
            card.size_bytes as f64 / 1e6
        ),
    ];
    lines.push(match (card.nll_per_onset, card.unigram_nll_per_onset) {
        (Some(nll), Some(base)) => {
            format!("{nll:.2} nats per onset on held-out music (baseline {base:.2})")
        }
        (Some(nll), None) => format!("{nll:.2} nats per onset on held-out music"),
        _ => "not evaluated".to_owned(),
    });
    if !card.trained.is_empty() {
        lines.push(format!("trained {}", card.trained));
    }
    lines
}

/// The cards in a column; clicking one selects its model.
pub fn model_picker(
    ui: &mut Ui,
    cards: &[ModelCard],
    params: &DeepMidiParams,
    setter: &ParamSetter,
) {
    let selected = params.model_slot();
    for (slot, card) in cards.iter().enumerate() {
        let chosen = slot == selected;
        let frame = egui::Frame::group(ui.style()).fill(match chosen {
            true => ui.visuals().selection.bg_fill.gamma_multiply(0.35),
            false => ui.visuals().extreme_bg_color,
        });
        let card_rect = frame
            .show(ui, |ui| {
                // The whole card is the button: its text must not take the click.
                ui.style_mut().interaction.selectable_labels = false;
                ui.set_width(ui.available_width());
                ui.label(RichText::new(&card.name).strong().size(15.0));
                for line in card_lines(card) {
                    ui.small(line);
                }
                if let Some(problem) = &card.problem {
                    ui.colored_label(Color32::LIGHT_RED, format!("failed to load: {problem}"));
                }
            })
            .response
            .rect;
        let id = ui.scope_id().with(("model card", slot));
        let response = ui.interact(card_rect, id, egui::Sense::click());
        let name = format!("Model {}", card.name);
        response
            .widget_info(|| egui::WidgetInfo::selected(egui::Role::Button, true, chosen, &name));
        if response.clicked() && !chosen {
            set(setter, &*params.model, slot as i32);
        }
    }
}
