//! The form of a piece at a glance: its bar-by-bar self-similarity matrix, a square per pair
//! of bars, darker the more the two bars share (`evaluation::self_similarity`). A phrase that
//! comes back draws a diagonal line off the main one, k cells away for a return k bars later;
//! music that never repeats is a lone diagonal in a pale square. Drawn beside a corpus
//! piece's, for comparison.

use super::{font, FAMILY};
use anyhow::Result;
use plotters::prelude::*;
use std::path::Path;

/// One matrix's side in pixels, and the room around it for its title and bar numbers.
const SIDE: u32 = 560;
const FRAME: u32 = 90;

/// A matrix to draw and its title.
pub struct FormMatrix<'a> {
    pub title: &'a str,
    pub cells: &'a [Vec<Option<f64>>],
}

/// The picture's size for `count` matrices side by side.
pub fn form_matrix_size(count: usize) -> (u32, u32) {
    ((SIDE + FRAME) * count.max(1) as u32, SIDE + FRAME + 40)
}

/// Colour of a cell: white for nothing shared, deep blue for a bar played again; a grey
/// where a bar is empty.
fn cell_colour(value: Option<f64>) -> RGBColor {
    match value {
        None => RGBColor(235, 235, 235),
        Some(v) => {
            let v = v.clamp(0.0, 1.0);
            let mix = |from: f64, to: f64| (from + (to - from) * v).round() as u8;
            RGBColor(mix(255.0, 20.0), mix(255.0, 60.0), mix(255.0, 140.0))
        }
    }
}

/// Bar numbers to label: every bar, or every 2nd, 4th, ... so that at most 16 carry numbers.
fn labelled_bars(bars: usize) -> Vec<usize> {
    let mut every = 1;
    while bars / every > 16 {
        every *= 2;
    }
    (0..bars).step_by(every).collect()
}

/// Draws `matrices` side by side into a PNG of [`form_matrix_size`] at `path`.
pub fn form_matrix_png(matrices: &[FormMatrix<'_>], path: &Path) -> Result<()> {
    font::register()?;
    let root = BitMapBackend::new(path, form_matrix_size(matrices.len())).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Form: how much each bar shares with every other (darker = more)",
        (FAMILY, 22),
    )?;
    let panels = root.split_evenly((1, matrices.len().max(1)));
    for (panel, m) in panels.iter().zip(matrices) {
        let bars = m.cells.len().max(1);
        let n = bars as f64;
        let mut chart = ChartBuilder::on(panel)
            .caption(format!("{} ({bars} bars)", m.title), (FAMILY, 18))
            .margin(10)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(0.0..n, n..0.0)?;
        let marks = labelled_bars(bars);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(marks.len())
            .y_labels(marks.len())
            .x_desc("bar")
            .y_desc("bar")
            .axis_desc_style((FAMILY, 15))
            .label_style((FAMILY, 13))
            .x_label_formatter(&|b| format!("{}", b.floor() as usize + 1))
            .y_label_formatter(&|b| format!("{}", b.floor() as usize + 1))
            .draw()?;
        chart.draw_series(m.cells.iter().enumerate().flat_map(|(i, row)| {
            row.iter().enumerate().map(move |(j, &v)| {
                let (x, y) = (j as f64, i as f64);
                Rectangle::new([(x, y), (x + 1.0, y + 1.0)], cell_colour(v).filled())
            })
        }))?;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeat_is_drawn_darker_than_a_new_bar() {
        let (new, again) = (cell_colour(Some(0.0)), cell_colour(Some(1.0)));
        assert_eq!(new, WHITE);
        assert!(again.0 < 100 && again.2 > again.0);
        assert_ne!(cell_colour(None), new);
        assert_eq!(labelled_bars(64).len(), 16);
        assert_eq!(labelled_bars(5), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn draws_one_or_two_matrices() {
        let dir = tempfile::tempdir().unwrap();
        let cells: Vec<Vec<Option<f64>>> = (0..12)
            .map(|i| {
                (0..12)
                    .map(|j| Some(f64::from(u8::from((i % 4) == (j % 4)))))
                    .collect()
            })
            .collect();
        for count in [1, 2] {
            let path = dir.path().join(format!("form{count}.png"));
            let matrices: Vec<FormMatrix> = (0..count)
                .map(|_| FormMatrix {
                    title: "test",
                    cells: &cells,
                })
                .collect();
            form_matrix_png(&matrices, &path).unwrap();
            super::super::tests::assert_picture(&path, form_matrix_size(count));
        }
    }
}
