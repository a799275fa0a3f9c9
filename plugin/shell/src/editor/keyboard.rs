//! A small piano keyboard over the whole MIDI range that shows what the key lock allows: the
//! notes DeepMIDI may play are lit, the range's ends are marked, and clicking a key sets the
//! range (left click the lowest note, right click the highest), so a bass or lead part is set
//! where the musician sees it.

use crate::editor::controls::set;
use crate::DeepMidiParams;
use deepmidi_engine::harmony::{NoteName, PitchSet};
use egui::{self, Color32, Rect, Response, Sense, Stroke, Ui, Vec2};
use nice_plug::context::gui::ParamSetter;

/// White keys of the MIDI range 0–127 (C-1 to G9).
const WHITE_KEYS: usize = 75;
const HEIGHT: f32 = 46.0;

/// Whether a pitch is a black key.
fn is_black(pitch: u8) -> bool {
    matches!(pitch % 12, 1 | 3 | 6 | 8 | 10)
}

/// The white keys before `pitch`: where its key sits.
fn whites_before(pitch: u8) -> usize {
    (0..pitch).filter(|&p| !is_black(p)).count()
}

/// Each key's rectangle in `rect`, black keys over the white ones.
pub fn key_rect(rect: Rect, pitch: u8) -> Rect {
    let white = rect.width() / WHITE_KEYS as f32;
    let x = rect.left() + whites_before(pitch) as f32 * white;
    if is_black(pitch) {
        Rect::from_min_size(
            egui::pos2(x - white * 0.3, rect.top()),
            Vec2::new(white * 0.6, rect.height() * 0.6),
        )
    } else {
        Rect::from_min_size(egui::pos2(x, rect.top()), Vec2::new(white, rect.height()))
    }
}

/// The key under `pos`: black keys first, as they lie on top.
pub fn pitch_at(rect: Rect, pos: egui::Pos2) -> Option<u8> {
    let hit = |black: bool| {
        (0..=127u8)
            .filter(|&p| is_black(p) == black)
            .find(|&p| key_rect(rect, p).contains(pos))
    };
    hit(true).or_else(|| hit(false))
}

/// How a key is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyLook {
    /// DeepMIDI may play it.
    Allowed,
    /// Outside the scale or the range.
    Locked,
}

/// Every key's look under the lock's `allowed` pitches.
pub fn key_looks(allowed: PitchSet) -> [KeyLook; 128] {
    std::array::from_fn(|p| match allowed.contains(p as u8) {
        true => KeyLook::Allowed,
        false => KeyLook::Locked,
    })
}

fn fill(look: KeyLook, black: bool) -> Color32 {
    match (look, black) {
        (KeyLook::Allowed, false) => Color32::from_rgb(150, 215, 170),
        (KeyLook::Allowed, true) => Color32::from_rgb(40, 130, 70),
        (KeyLook::Locked, false) => Color32::from_gray(120),
        (KeyLook::Locked, true) => Color32::from_gray(30),
    }
}

/// Draws the keyboard for `params`' lock; a click sets the range's lowest note, a right
/// click its highest.
pub fn keyboard(ui: &mut Ui, params: &DeepMidiParams, setter: &ParamSetter) -> Response {
    let lock = params.controls().engine.lock;
    let width = ui.available_width().min(700.0);
    let (rect, response) = ui.allocate_exact_size(Vec2::new(width, HEIGHT), Sense::click());
    let looks = key_looks(lock.allowed());
    let painter = ui.painter_at(rect);
    for black in [false, true] {
        for p in (0..=127u8).filter(|&p| is_black(p) == black) {
            let key = key_rect(rect, p);
            painter.rect_filled(key, 0.0, fill(looks[usize::from(p)], black));
            painter.rect_stroke(
                key,
                0.0,
                Stroke::new(0.5, Color32::BLACK),
                egui::StrokeKind::Inside,
            );
        }
    }
    // The range's ends, and a mark on every C to find one's way.
    let (low, high) = lock.range();
    for (pitch, color) in [(low, Color32::YELLOW), (high, Color32::LIGHT_RED)] {
        let key = key_rect(rect, pitch);
        painter.rect_stroke(key, 0.0, Stroke::new(2.0, color), egui::StrokeKind::Inside);
    }
    for c in (0..=120u8).step_by(24) {
        let key = key_rect(rect, c);
        painter.text(
            key.center_bottom() - Vec2::new(0.0, 2.0),
            egui::Align2::CENTER_BOTTOM,
            NoteName(c).to_string(),
            egui::FontId::proportional(8.0),
            Color32::BLACK,
        );
    }
    let clicked = |button| {
        response
            .interact_pointer_pos()
            .filter(|_| response.clicked_by(button))
            .and_then(|pos| pitch_at(rect, pos))
    };
    if let Some(p) = clicked(egui::PointerButton::Primary) {
        set(setter, &params.lowest, i32::from(p.min(high)));
    }
    if let Some(p) = clicked(egui::PointerButton::Secondary) {
        set(setter, &params.highest, i32::from(p.max(low)));
    }
    response
        .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Note range keyboard"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepmidi_engine::harmony::{PitchClass, PitchLock, Scale};

    #[test]
    fn every_key_is_found_where_it_is_drawn() {
        let rect = Rect::from_min_size(egui::pos2(10.0, 5.0), Vec2::new(750.0, 40.0));
        for p in 0..=127u8 {
            let key = key_rect(rect, p);
            // A black key's centre, and a white key's lower part (below the black keys).
            let probe = match is_black(p) {
                true => key.center(),
                false => egui::pos2(key.center().x, key.bottom() - 2.0),
            };
            assert_eq!(pitch_at(rect, probe), Some(p), "{}", NoteName(p));
        }
        assert_eq!(whites_before(128u8.saturating_sub(1)), WHITE_KEYS - 1);
    }

    #[test]
    fn the_lit_keys_are_the_locks_notes() {
        let lock = PitchLock::new(Scale::MajorPentatonic, PitchClass::of(2), 50, 74);
        let looks = key_looks(lock.allowed());
        let lit: Vec<u8> = (0..=127u8)
            .filter(|&p| looks[usize::from(p)] == KeyLook::Allowed)
            .collect();
        // D major pentatonic: D E F# A B, from D3 (50) to D5 (74).
        assert_eq!(lit, [50, 52, 54, 57, 59, 62, 64, 66, 69, 71, 74]);
    }
}
