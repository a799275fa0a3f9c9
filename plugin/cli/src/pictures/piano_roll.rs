//! The piano roll of a performance: one bar per note, pitch against beats.

use super::{font, FAMILY};
use crate::generate::Performance;
use anyhow::{Context, Result};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use std::ops::Range;
use std::path::Path;

const HEIGHT: u32 = 720;
const MIN_WIDTH: u32 = 900;
const MAX_WIDTH: u32 = 4000;
/// Horizontal room for one quarter note, where the width allows.
const PIXELS_PER_BEAT: f64 = 20.0;
/// Room taken by the pitch labels and margins beside the roll.
const FRAME_WIDTH: f64 = 120.0;
/// The roll always shows at least this many semitones, centred on the notes.
const MIN_SPAN: u8 = 24;

const NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// Scientific pitch notation, with middle C (MIDI 60) as C4 and sharps for black keys.
pub fn note_name(pitch: u8) -> String {
    format!(
        "{}{}",
        NAMES[usize::from(pitch % 12)],
        i32::from(pitch / 12) - 1
    )
}

fn is_black_key(pitch: u8) -> bool {
    matches!(pitch % 12, 1 | 3 | 6 | 8 | 10)
}

/// The beat the roll ends at: the end of the last note, rounded up to a whole bar.
fn end_beat(perf: &Performance, bar: f64) -> f64 {
    let end = perf.end_beats();
    let end = if end.is_finite() { end } else { 0.0 };
    ((end / bar).ceil().max(1.0)) * bar
}

/// Quarter notes per bar as drawn: the performance's meter's.
fn bar_beats(perf: &Performance) -> f64 {
    perf.meter.bar_quarters()
}

/// Width and height in pixels of the piano roll of `perf`: wider for longer performances,
/// from 900 to 4000 pixels, always 720 high.
pub fn piano_roll_size(perf: &Performance) -> (u32, u32) {
    let beats = end_beat(perf, bar_beats(perf));
    let width = (FRAME_WIDTH + beats * PIXELS_PER_BEAT).round();
    (
        width.clamp(f64::from(MIN_WIDTH), f64::from(MAX_WIDTH)) as u32,
        HEIGHT,
    )
}

/// The lowest and highest pitch shown: the notes' range widened to [`MIN_SPAN`].
fn pitch_range(perf: &Performance) -> (u8, u8) {
    let lo = perf
        .notes
        .iter()
        .map(|n| n.pitch.min(127))
        .min()
        .unwrap_or(60);
    let hi = perf
        .notes
        .iter()
        .map(|n| n.pitch.min(127))
        .max()
        .unwrap_or(71);
    let missing = MIN_SPAN.saturating_sub(hi - lo);
    let lo = lo.saturating_sub(missing / 2 + 1);
    let hi = (hi + (MIN_SPAN - (hi - lo).min(MIN_SPAN)) + 1).min(127);
    (lo, hi)
}

/// Labelled pitches: every one in a narrow roll, C and G in a middling one, C alone in a wide one.
fn labelled_pitches(lo: u8, hi: u8) -> Vec<f64> {
    let span = hi - lo;
    (lo..=hi)
        .filter(|p| match span {
            0..=16 => true,
            17..=40 => p % 12 == 0 || p % 12 == 7,
            _ => p % 12 == 0,
        })
        .map(f64::from)
        .collect()
}

/// Bar starts to label: every bar, or every 2nd, 4th, ... so that at most 24 carry numbers.
fn labelled_bars(end: f64, bar: f64) -> Vec<f64> {
    let bars = (end / bar).round() as usize;
    let mut every = 1;
    while bars / every > 24 {
        every *= 2;
    }
    (0..=bars).step_by(every).map(|b| b as f64 * bar).collect()
}

/// A linear axis whose labels stand exactly at the given points (plotters' own choice of
/// round numbers would label pitch 65 rather than C4).
struct Marked {
    inner: RangedCoordf64,
    points: Vec<f64>,
}

impl Marked {
    fn new(range: Range<f64>, points: Vec<f64>) -> Self {
        Marked {
            inner: range.into(),
            points,
        }
    }
}

impl Ranged for Marked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, _hint: Hint) -> Vec<f64> {
        self.points.clone()
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

/// Colour of a note: darker for louder.
fn note_colour(velocity: u8) -> HSLColor {
    let loudness = f64::from(velocity.min(127)) / 127.0;
    HSLColor(0.58, 0.65, 0.72 - 0.37 * loudness)
}

/// Draws `perf` into a PNG of [`piano_roll_size`] at `path`: a rectangle per note (darker for
/// louder), black-key rows shaded, and a bar line at every bar of the performance's meter.
pub fn piano_roll_png(perf: &Performance, path: &Path) -> Result<()> {
    font::register()?;
    let bar = bar_beats(perf);
    let end = end_beat(perf, bar);
    let (lo, hi) = pitch_range(perf);
    let (y_lo, y_hi) = (f64::from(lo) - 0.5, f64::from(hi) + 0.5);

    let root = BitMapBackend::new(path, piano_roll_size(perf)).into_drawing_area();
    root.fill(&WHITE)?;
    let caption = format!(
        "Piano roll: {} notes, {} bars at {:.0} BPM",
        perf.notes.len(),
        (end / bar).round(),
        perf.bpm
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, (FAMILY, 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(55)
        .build_cartesian_2d(
            Marked::new(0.0..end, labelled_bars(end, bar)),
            Marked::new(y_lo..y_hi, labelled_pitches(lo, hi)),
        )?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(format!(
            "quarter-note beats ({}: a bar line every {bar})",
            perf.meter
        ))
        .y_desc("pitch")
        .axis_desc_style((FAMILY, 17))
        .label_style((FAMILY, 14))
        .x_label_formatter(&|b| format!("{b:.0}"))
        .y_label_formatter(&|p| note_name(p.round().clamp(0.0, 127.0) as u8))
        .draw()?;

    // Black-key rows, then a line under every C, then bar lines, then the notes on top.
    let row = |p: u8| [(0.0, f64::from(p) - 0.5), (end, f64::from(p) + 0.5)];
    chart.draw_series(
        (lo..=hi)
            .filter(|&p| is_black_key(p))
            .map(|p| Rectangle::new(row(p), RGBColor(236, 238, 242).filled())),
    )?;
    chart.draw_series((lo..=hi).filter(|p| p % 12 == 0).map(|p| {
        let y = f64::from(p) - 0.5;
        PathElement::new(vec![(0.0, y), (end, y)], RGBColor(200, 200, 210))
    }))?;
    let bars = (end / bar).round() as usize;
    chart.draw_series((0..=bars).map(|b| {
        let x = b as f64 * bar;
        PathElement::new(
            vec![(x, y_lo), (x, y_hi)],
            RGBColor(150, 150, 160).stroke_width(1),
        )
    }))?;
    let drawable = perf.notes.iter().filter(|n| {
        n.pitch <= 127
            && n.start_beats.is_finite()
            && n.length_beats.is_finite()
            && n.length_beats >= 0.0
    });
    chart.draw_series(drawable.clone().map(|n| {
        let y = f64::from(n.pitch);
        Rectangle::new(
            [
                (n.start_beats, y - 0.42),
                (n.start_beats + n.length_beats, y + 0.42),
            ],
            note_colour(n.velocity).filled(),
        )
    }))?;
    chart.draw_series(drawable.map(|n| {
        let y = f64::from(n.pitch);
        Rectangle::new(
            [
                (n.start_beats, y - 0.42),
                (n.start_beats + n.length_beats, y + 0.42),
            ],
            RGBColor(20, 50, 90),
        )
    }))?;
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::PlayedNote;
    use crate::pictures::tests::assert_picture;

    /// A C major scale up in eighths, then chords, over a little more than two bars of 4/4.
    fn performance() -> Performance {
        let mut notes: Vec<PlayedNote> = [60, 62, 64, 65, 67, 69, 71, 72]
            .iter()
            .enumerate()
            .map(|(i, &pitch)| PlayedNote {
                start_beats: i as f64 * 0.5,
                length_beats: 0.5,
                pitch,
                velocity: 40 + 10 * i as u8,
            })
            .collect();
        for (i, chord) in [[48, 52, 55], [53, 57, 60], [55, 59, 62]]
            .iter()
            .enumerate()
        {
            for &pitch in chord {
                notes.push(PlayedNote {
                    start_beats: 4.0 + 1.5 * i as f64,
                    length_beats: 1.5,
                    pitch,
                    velocity: 100,
                });
            }
        }
        Performance {
            notes,
            bpm: 120.0,
            meter: Default::default(),
        }
    }

    #[test]
    fn names_notes_like_musicians() {
        assert_eq!(note_name(60), "C4");
        assert_eq!(note_name(69), "A4");
        assert_eq!(note_name(61), "C#4");
        assert_eq!(note_name(0), "C-1");
        assert_eq!(note_name(127), "G9");
    }

    #[test]
    fn draws_notes_and_bar_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roll.png");
        let perf = performance();
        piano_roll_png(&perf, &path).unwrap();
        assert_eq!(piano_roll_size(&perf), (MIN_WIDTH, HEIGHT));
        assert_picture(&path, piano_roll_size(&perf));
        let img = image::open(&path).unwrap().to_rgb8();
        let (r, g, b) = note_colour(100).rgb();
        assert!(
            img.pixels().any(|p| p.0 == [r, g, b]),
            "no note drawn in the colour of velocity 100"
        );
    }

    #[test]
    fn long_performances_get_wider_pictures() {
        let mut perf = performance();
        let short = piano_roll_size(&perf).0;
        perf.notes.push(PlayedNote {
            start_beats: 150.0,
            length_beats: 1.0,
            pitch: 90,
            velocity: 64,
        });
        let (width, height) = piano_roll_size(&perf);
        assert!(width > short && width <= MAX_WIDTH && height == HEIGHT);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roll.png");
        piano_roll_png(&perf, &path).unwrap();
        assert_picture(&path, (width, height));
    }

    #[test]
    fn draws_an_empty_performance_and_odd_meters() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("roll.png");
        let empty = Performance {
            notes: vec![],
            bpm: 100.0,
            meter: "3/4".parse().unwrap(),
        };
        piano_roll_png(&empty, &path).unwrap();
        assert_picture(&path, piano_roll_size(&empty));
        let odd = Performance {
            meter: "7/16".parse().unwrap(),
            ..performance()
        };
        piano_roll_png(&odd, &path).unwrap();
        assert_picture(&path, piano_roll_size(&odd));
    }

    #[test]
    fn pitch_range_covers_the_notes_and_two_octaves() {
        let (lo, hi) = pitch_range(&performance());
        assert!(lo < 48 && hi > 72 && hi - lo >= MIN_SPAN, "{lo}..{hi}");
        let mut extreme = performance();
        extreme.notes[0].pitch = 0;
        extreme.notes[1].pitch = 127;
        assert_eq!(pitch_range(&extreme), (0, 127));
    }
}
