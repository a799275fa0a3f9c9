//! Finding and registering the one font the pictures use.

use super::FAMILY;
use crate::system_files;
use anyhow::{anyhow, Result};
use plotters::style::FontStyle;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Names a TrueType/OpenType font file to use instead of the ones in [`FONT_PATHS`].
pub const FONT_ENV: &str = "DEEPMIDI_FONT";

/// Where DejaVu Sans lies on Debian/Ubuntu (package fonts-dejavu-core), Fedora and Arch.
pub const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
];

/// The font file to draw text with: `DEEPMIDI_FONT` where set, else the first of
/// [`FONT_PATHS`] that exists. The error says what to install.
pub fn find_font() -> Result<PathBuf, String> {
    system_files::find(
        FONT_ENV,
        std::env::var_os(FONT_ENV),
        FONT_PATHS,
        "TrueType font to draw text with",
        "install Debian's fonts-dejavu-core package (apt-get install fonts-dejavu-core) \
         or set DEEPMIDI_FONT to a .ttf file",
    )
}

/// Reads and registers the font once per process; later calls return the first outcome.
pub(super) fn register() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            let path = find_font()?;
            let bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read font {}: {e}", path.display()))?;
            // plotters keeps registered fonts for the life of the process: leaking the one
            // font file, once, is what it asks for.
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
                .map_err(|_| format!("{} is not a TrueType or OpenType font", path.display()))
        })
        .clone()
        .map_err(|e| anyhow!(e))
}
