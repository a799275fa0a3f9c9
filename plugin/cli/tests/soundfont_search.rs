//! `find_soundfont` as a user meets it, through the environment variable. Its own test
//! binary, so that setting the variable races with no other test.

use deepmidi_cli::sound::{find_soundfont, SOUNDFONT_ENV};

#[test]
fn a_bogus_soundfont_variable_says_what_to_install() {
    std::env::set_var(SOUNDFONT_ENV, "/nonexistent/deepmidi-test/piano.sf2");
    let result = find_soundfont();
    std::env::remove_var(SOUNDFONT_ENV);
    let err = result.expect_err("a SoundFont path that does not exist was accepted");
    assert!(
        err.contains("/nonexistent/deepmidi-test/piano.sf2"),
        "{err}"
    );
    assert!(err.contains("apt-get install fluid-soundfont-gm"), "{err}");
    assert!(err.contains("DEEPMIDI_SOUNDFONT"), "{err}");
}
