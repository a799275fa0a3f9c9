//! The loss curve of a training run: training and validation loss of both networks against
//! the optimizer step.

use super::{font, FAMILY};
use crate::training::LossPoint;
use anyhow::{bail, Context, Result};
use plotters::prelude::*;
use std::path::Path;

/// Width and height of the loss curve in pixels.
pub const LOSS_CURVE_SIZE: (u32, u32) = (1000, 600);

const NOTE_COLOUR: RGBColor = RGBColor(31, 119, 180);
const OFFSET_COLOUR: RGBColor = RGBColor(214, 39, 40);

/// One line of the chart: its legend text, colour, whether it is validation (dashed, with
/// dots at the measured points), and its (step, loss) points.
struct Line {
    label: &'static str,
    colour: RGBColor,
    validation: bool,
    points: Vec<(f64, f64)>,
}

fn lines(history: &[LossPoint]) -> Vec<Line> {
    let collect = |f: &dyn Fn(&LossPoint) -> Option<f64>| -> Vec<(f64, f64)> {
        history
            .iter()
            .filter_map(|p| f(p).filter(|v| v.is_finite()).map(|v| (p.step as f64, v)))
            .collect()
    };
    vec![
        Line {
            label: "note, training",
            colour: NOTE_COLOUR,
            validation: false,
            points: collect(&|p| Some(p.note)),
        },
        Line {
            label: "offset, training",
            colour: OFFSET_COLOUR,
            validation: false,
            points: collect(&|p| Some(p.offset)),
        },
        Line {
            label: "note, validation",
            colour: NOTE_COLOUR,
            validation: true,
            points: collect(&|p| p.validation.map(|v| v.note)),
        },
        Line {
            label: "offset, validation",
            colour: OFFSET_COLOUR,
            validation: true,
            points: collect(&|p| p.validation.map(|v| v.offset)),
        },
    ]
}

/// Draws `history` (as recorded by training) into a PNG of [`LOSS_CURVE_SIZE`] at `path`,
/// with a vertical line at the `kept` step, whose weights the model set holds.
/// Lines without a finite point (validation when no piece was held out) are left out.
pub fn loss_curve_png(history: &[LossPoint], kept: Option<usize>, path: &Path) -> Result<()> {
    font::register()?;
    let lines: Vec<Line> = lines(history)
        .into_iter()
        .filter(|l| !l.points.is_empty())
        .collect();
    if lines.is_empty() {
        bail!("no loss to draw: the training history has no finite loss");
    }
    let all = || lines.iter().flat_map(|l| l.points.iter().copied());
    let last_step = all().map(|(s, _)| s).fold(0.0, f64::max).max(1.0);
    let first_step = all().map(|(s, _)| s).fold(last_step, f64::min).min(0.0);
    let top = all().map(|(_, v)| v).fold(0.0, f64::max).max(1e-3) * 1.08;

    let root = BitMapBackend::new(path, LOSS_CURVE_SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Training loss", (FAMILY, 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(first_step..last_step, 0.0..top)?;
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("loss (nats/token)")
        .axis_desc_style((FAMILY, 18))
        .label_style((FAMILY, 15))
        .x_label_formatter(&|s| format!("{s:.0}"))
        .y_label_formatter(&|v| format!("{v:.2}"))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;

    if let Some(step) = kept {
        let x = step as f64;
        let grey = RGBColor(110, 110, 110);
        chart
            .draw_series(LineSeries::new([(x, 0.0), (x, top)], grey.stroke_width(2)))?
            .label(format!("kept: step {step}"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x + 10, y - 7), (x + 10, y + 7)], grey.stroke_width(2))
            });
    }
    for line in &lines {
        let colour = line.colour;
        if line.validation {
            let style = colour.stroke_width(2);
            chart
                .draw_series(DashedLineSeries::new(
                    line.points.iter().copied(),
                    8,
                    5,
                    style,
                ))?
                .label(line.label)
                .legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], colour.stroke_width(2))
                        + PathElement::new(vec![(13, 0), (20, 0)], colour.stroke_width(2))
                        + Circle::new((10, 0), 3, colour.filled())
                });
            chart.draw_series(
                line.points
                    .iter()
                    .map(|&p| Circle::new(p, 3, colour.filled())),
            )?;
        } else {
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    colour.stroke_width(2),
                ))?
                .label(line.label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FAMILY, 16))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()?;
    root.present()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Losses;
    use crate::pictures::tests::assert_picture;

    fn history(with_validation: bool) -> Vec<LossPoint> {
        (0..=30)
            .map(|i| {
                let step = i * 100;
                let t = i as f64 / 30.0;
                LossPoint {
                    step,
                    note: 1.2 + 3.0 * (-4.0 * t).exp(),
                    offset: 0.6 + 1.5 * (-5.0 * t).exp(),
                    validation: (with_validation && i % 5 == 0).then(|| Losses {
                        note: 1.5 + 2.8 * (-3.5 * t).exp(),
                        offset: 0.8 + 1.4 * (-4.0 * t).exp(),
                        per_onset: 2.5,
                    }),
                }
            })
            .collect()
    }

    #[test]
    fn draws_training_and_validation_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss.png");
        loss_curve_png(&history(true), Some(2000), &path).unwrap();
        assert_picture(&path, LOSS_CURVE_SIZE);
        // Both colours are on the picture: the note and offset lines were drawn.
        let img = image::open(&path).unwrap().to_rgb8();
        for colour in [NOTE_COLOUR, OFFSET_COLOUR] {
            let found = img.pixels().any(|p| p.0 == [colour.0, colour.1, colour.2]);
            assert!(found, "no pixel of {colour:?}");
        }
    }

    #[test]
    fn draws_without_validation_and_with_a_single_point() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loss.png");
        loss_curve_png(&history(false), None, &path).unwrap();
        assert_picture(&path, LOSS_CURVE_SIZE);
        let one = [LossPoint {
            step: 0,
            note: 4.0,
            offset: 2.0,
            validation: None,
        }];
        loss_curve_png(&one, None, &path).unwrap();
        assert_picture(&path, LOSS_CURVE_SIZE);
    }

    #[test]
    fn refuses_an_empty_history() {
        let dir = tempfile::tempdir().unwrap();
        let err = loss_curve_png(&[], None, &dir.path().join("loss.png")).unwrap_err();
        assert!(err.to_string().contains("no loss to draw"), "{err}");
        let nan = [LossPoint {
            step: 5,
            note: f64::NAN,
            offset: f64::INFINITY,
            validation: None,
        }];
        assert!(loss_curve_png(&nan, None, &dir.path().join("loss.png")).is_err());
    }
}
