//! Finding a General MIDI SoundFont on the machine.

use crate::system_files;
use std::path::PathBuf;

/// Names the SoundFont (.sf2) to use; when set, it is the only one tried.
pub const SOUNDFONT_ENV: &str = "DEEPMIDI_SOUNDFONT";

/// Where Debian's fluid-soundfont-gm puts its SoundFont, and the General MIDI default link.
pub const SOUNDFONT_PATHS: &[&str] = &[
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/default-GM.sf2",
];

const INSTALL_HINT: &str = "install Debian's fluid-soundfont-gm package \
    (apt-get install fluid-soundfont-gm) or set DEEPMIDI_SOUNDFONT to a General MIDI .sf2 file";

/// The SoundFont to render with: `DEEPMIDI_SOUNDFONT` where set, else the first of
/// [`SOUNDFONT_PATHS`] that exists. The error says what to install.
pub fn find_soundfont() -> Result<PathBuf, String> {
    search(std::env::var_os(SOUNDFONT_ENV), SOUNDFONT_PATHS)
}

fn search(env: Option<std::ffi::OsString>, paths: &[&str]) -> Result<PathBuf, String> {
    system_files::find(
        SOUNDFONT_ENV,
        env,
        paths,
        "General MIDI SoundFont",
        INSTALL_HINT,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bogus_environment_path_is_refused_with_the_install_hint() {
        let err = search(Some("/no/such/dir/piano.sf2".into()), SOUNDFONT_PATHS).unwrap_err();
        assert!(err.contains("/no/such/dir/piano.sf2"), "{err}");
        assert!(err.contains("apt-get install fluid-soundfont-gm"), "{err}");
        assert!(err.contains("DEEPMIDI_SOUNDFONT"), "{err}");
    }

    #[test]
    fn nothing_found_names_the_places_looked_and_the_package() {
        let err = search(None, &["/no/such/a.sf2", "/no/such/b.sf2"]).unwrap_err();
        assert!(err.starts_with("no General MIDI SoundFont found"), "{err}");
        assert!(err.contains("/no/such/a.sf2, /no/such/b.sf2"), "{err}");
        assert!(err.contains("fluid-soundfont-gm"), "{err}");
    }

    #[test]
    fn an_existing_environment_path_wins() {
        let dir = tempfile::tempdir().unwrap();
        let font = dir.path().join("mine.sf2");
        std::fs::write(&font, b"x").unwrap();
        assert_eq!(
            search(Some(font.clone().into()), &["/no/such/a.sf2"]).unwrap(),
            font
        );
        // An empty variable counts as unset.
        assert_eq!(
            search(Some("".into()), &[font.to_str().unwrap()]).unwrap(),
            font
        );
    }
}
