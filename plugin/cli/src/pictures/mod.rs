//! Pictures for people: the loss curve of a training run, and the piano roll and form of a
//! generated performance, drawn with `plotters` into PNG files.
//!
//! Text is drawn with a TrueType font read at run time (see [`font`]): no font is compiled
//! in, and no system library is needed to build.

mod font;
mod form_matrix;
mod loss_curve;
mod piano_roll;

pub use font::{find_font, FONT_ENV, FONT_PATHS};
pub use form_matrix::{form_matrix_png, form_matrix_size, FormMatrix};
pub use loss_curve::{loss_curve_png, LOSS_CURVE_SIZE};
pub use piano_roll::{note_name, piano_roll_png, piano_roll_size};

/// The family name every picture asks for; [`font::register`] puts the found font under it.
const FAMILY: &str = "sans-serif";

#[cfg(test)]
pub(crate) mod tests {
    use std::path::Path;

    /// The file is a PNG of `size` whose pixels are not all alike.
    pub(crate) fn assert_picture(path: &Path, size: (u32, u32)) {
        let img =
            image::open(path).unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
        assert_eq!(
            image::ImageFormat::from_path(path).unwrap(),
            image::ImageFormat::Png
        );
        assert_eq!((img.width(), img.height()), size);
        let rgb = img.to_rgb8();
        let first = rgb.get_pixel(0, 0);
        let differing = rgb.pixels().filter(|p| *p != first).count();
        assert!(
            differing > 1000,
            "only {differing} pixels differ from the background"
        );
    }
}
