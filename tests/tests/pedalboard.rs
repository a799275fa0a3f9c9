//! The VST3 bundle in pedalboard (JUCE hosting), through `tests/pedalboard_test.py`.

use deepmidi_host_tests::bundles::{vst3_bundle, workspace_root};
use deepmidi_host_tests::fixture::setup;
use std::process::Command;

#[test]
fn pedalboard_renders_the_vst3() {
    let bundle = vst3_bundle();
    setup();
    let probe = Command::new("python3")
        .args(["-c", "import pedalboard, numpy"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "python3 cannot import pedalboard (install it: `pip install pedalboard`):\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("cannot run python3: {e}"),
    }
    // The fixture's XDG_DATA_HOME is inherited: the plugin also finds the test model there.
    let output = Command::new("python3")
        .arg(workspace_root().join("tests/pedalboard_test.py"))
        .arg(&bundle)
        .output()
        .expect("run pedalboard_test.py");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "pedalboard_test.py failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("tempo_scale: 0.25 .. 4.0"), "{stdout}");
    assert!(stdout.contains("rendered"), "{stdout}");
}
