//! The live piano roll: the last [`SHOWN_BARS`] bars of what DeepMIDI played, and of what it
//! heard in Listen mode in another colour, with the host's bar lines and a playhead.

use deepmidi_engine::corpus::Meter;
use deepmidi_engine::monitor::{NoteHistory, Voice};
use egui::{self, Color32, Rect, Response, Sense, Stroke, Ui, Vec2};

pub const SHOWN_BARS: u32 = 8;
/// The fewest semitones shown: an octave and a half, so a few notes do not fill the roll.
const MIN_SPAN: u8 = 18;

pub const PLAYED: Color32 = Color32::from_rgb(90, 170, 255);
pub const HEARD: Color32 = Color32::from_rgb(255, 160, 60);

/// What the roll shows: beats `from..to` and pitches `low..=high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollView {
    pub from: f64,
    pub to: f64,
    pub low: u8,
    pub high: u8,
    pub bar_start: f64,
    pub meter: Meter,
}

impl RollView {
    /// The bars up to the end of the playhead's bar; pitches around the notes in them.
    pub fn of(history: &NoteHistory) -> Option<RollView> {
        let playhead = history.playhead()?;
        let meter = history.meter().unwrap_or(Meter::COMMON_TIME);
        let bar_start = history.bar_start().unwrap_or(0.0);
        let len = meter.bar_quarters();
        let this_bar = bar_start + ((playhead - bar_start) / len).floor() * len;
        let (from, to) = (this_bar - f64::from(SHOWN_BARS - 1) * len, this_bar + len);
        let shown = history
            .notes()
            .iter()
            .filter(|n| n.start < to && n.end.is_none_or(|e| e > from));
        let (low, high) = shown.fold((127u8, 0u8), |(lo, hi), n| {
            (lo.min(n.pitch), hi.max(n.pitch))
        });
        let (low, high) = match low <= high {
            true => (low, high),
            false => (60, 60),
        };
        let missing = MIN_SPAN.saturating_sub(high - low);
        let low = low.saturating_sub(missing / 2 + 1);
        let high = high.saturating_add(missing - missing / 2 + 1).min(127);
        Some(RollView {
            from,
            to,
            low,
            high,
            bar_start,
            meter,
        })
    }

    fn x(&self, rect: Rect, beat: f64) -> f32 {
        let t = ((beat - self.from) / (self.to - self.from)).clamp(0.0, 1.0);
        rect.left() + rect.width() * t as f32
    }

    /// A pitch's row: its top and bottom.
    fn y(&self, rect: Rect, pitch: u8) -> (f32, f32) {
        let rows = f32::from(self.high - self.low + 1);
        let row = rect.height() / rows;
        let top = rect.top() + f32::from(self.high - pitch) * row;
        (top, top + row)
    }
}

/// Draws the roll into the space left, `height` high.
pub fn piano_roll(ui: &mut Ui, history: &NoteHistory, height: f32) -> Response {
    let size = Vec2::new(ui.available_width(), height);
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_gray(24));
    let Some(view) = RollView::of(history) else {
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            "Press play: what DeepMIDI plays appears here",
            egui::FontId::proportional(14.0),
            Color32::GRAY,
        );
        return response;
    };
    // Beats faint, bar lines strong.
    let beat_len = view.meter.beat_quarters();
    let bar_len = view.meter.bar_quarters();
    let mut beat = view.from;
    while beat <= view.to + 1e-9 {
        let into_bar = (beat - view.bar_start).rem_euclid(bar_len);
        let on_bar = into_bar < 1e-6 || bar_len - into_bar < 1e-6;
        let x = view.x(rect, beat);
        let stroke = match on_bar {
            true => Stroke::new(1.5, Color32::from_gray(110)),
            false => Stroke::new(0.5, Color32::from_gray(55)),
        };
        painter.vline(x, rect.y_range(), stroke);
        beat += beat_len;
    }
    let playhead = history.playhead().unwrap_or(view.to);
    for note in history.notes() {
        let end = note.end.unwrap_or(playhead);
        if note.start >= view.to || end <= view.from {
            continue;
        }
        let (top, bottom) = view.y(rect, note.pitch);
        let (left, right) = (view.x(rect, note.start), view.x(rect, end));
        let color = match note.voice {
            Voice::Played => PLAYED,
            Voice::Heard => HEARD,
        };
        let note_rect = Rect::from_min_max(
            egui::pos2(left, top + 0.5),
            egui::pos2(right.max(left + 2.0), (bottom - 0.5).max(top + 1.5)),
        );
        painter.rect_filled(note_rect, 1.0, color);
    }
    painter.vline(
        view.x(rect, playhead),
        rect.y_range(),
        Stroke::new(1.5, Color32::from_rgb(240, 80, 80)),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use deepmidi_engine::monitor::MonitorEvent;

    fn history(playhead: f64) -> NoteHistory {
        let mut h = NoteHistory::new();
        h.add(MonitorEvent::Transport {
            beat: 0.0,
            bpm: 120.0,
            bar_start: 0.0,
            numerator: 3,
            denominator: 4,
        });
        for (beat, pitch, voice) in [(1.0, 50, Voice::Heard), (40.0, 70, Voice::Played)] {
            h.add(MonitorEvent::Note {
                beat,
                pitch,
                velocity: 90,
                channel: 0,
                voice,
            });
        }
        h.add(MonitorEvent::Transport {
            beat: playhead,
            bpm: 120.0,
            bar_start: 0.0,
            numerator: 3,
            denominator: 4,
        });
        h
    }

    /// Eight bars of 3/4 up to the end of the playhead's bar, pitches around the notes.
    #[test]
    fn the_view_ends_with_the_playheads_bar() {
        let view = RollView::of(&history(40.5)).unwrap();
        // 40.5 is in the bar starting at 39; eight bars of 3 beats end at 42.
        assert_eq!((view.from, view.to), (42.0 - 24.0, 42.0));
        assert!(view.low <= 70 && view.high >= 70 && view.high - view.low >= MIN_SPAN);
        // Nothing yet: no view.
        assert!(RollView::of(&NoteHistory::new()).is_none());
    }
}
