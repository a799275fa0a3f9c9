//! Finding a file that a Debian package installs (a font, a SoundFont), or that the user
//! names in an environment variable instead.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `env` (the value of the variable `env_name`) where set and not empty: it must name a file,
/// and no other place is tried. Otherwise the first of `paths` that is a file. The errors name
/// what was looked for and end with `hint`, which says what to install.
pub(crate) fn find(
    env_name: &str,
    env: Option<OsString>,
    paths: &[&str],
    what: &str,
    hint: &str,
) -> Result<PathBuf, String> {
    if let Some(path) = env.filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!(
                "{env_name} is set to {}, which is not a file: {hint}",
                path.display()
            ))
        };
    }
    paths
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| format!("no {what} found (looked in {}): {hint}", paths.join(", ")))
}
