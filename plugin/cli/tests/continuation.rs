//! `deepmidi eval --continuation` end to end with the shipped Irish model: a primer of one
//! pitch class must pull the continuation to it, and only pieces long enough are compared.

mod common;

use deepmidi_cli::generate::{performance_to_smf_bytes, Performance, PlayedNote};
use std::path::{Path, PathBuf};

/// `bars` bars of `meter` in eighth notes, alternating `low` and the octave above it.
fn write_octaves(path: &Path, meter: &str, bars: usize, low: u8) {
    let meter: deepmidi_cli::corpus::Meter = meter.parse().unwrap();
    let eighths = (meter.bar_quarters() * 2.0) as usize * bars;
    let notes = (0..eighths)
        .map(|i| PlayedNote {
            start_beats: i as f64 * 0.5,
            length_beats: 0.5,
            pitch: low + 12 * (i % 2) as u8,
            velocity: 90,
        })
        .collect();
    let perf = Performance {
        notes,
        bpm: 120.0,
        meter,
    };
    std::fs::write(path, performance_to_smf_bytes(&perf, 0).unwrap()).unwrap();
}

#[test]
fn a_primer_pulls_its_continuation_towards_it() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    std::fs::create_dir(&corpus).unwrap();
    // Two pieces of nothing but C (the model's own music is mostly in C# and F#), one of
    // exactly eight bars (too short to continue after four), and a validation tune.
    write_octaves(&corpus.join("c_common.mid"), "4/4", 10, 60);
    write_octaves(&corpus.join("c_jig.mid"), "6/8", 12, 48);
    write_octaves(&corpus.join("short.mid"), "4/4", 8, 60);
    let tune = "0011_chief_o_neill_s_favourite.mid";
    std::fs::copy(
        common::shared_corpus().join("irish").join(tune),
        corpus.join(tune),
    )
    .unwrap();
    let json = dir.path().join("continuation.json");
    let model = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/irish");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deepmidi"))
        .args(["eval", "--continuation", "4", "--seeds", "3", "--model"])
        .arg(&model)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--json")
        .arg(&json)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("pitch class"), "{stdout}");

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (r["pieces"].as_u64(), r["skipped"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(r["subset"], "all");
    let pieces = r["by_piece"].as_array().unwrap();
    let files: Vec<&str> = pieces.iter().map(|p| p["file"].as_str().unwrap()).collect();
    assert_eq!(files, vec![tune, "c_common.mid", "c_jig.mid"]);
    assert_eq!(pieces[2]["meter"], "6/8");
    let features = ["pitch_class", "pitch_interval", "onset_in_bar"];
    for way in ["primed", "unprimed"] {
        for f in features {
            let mean = r[way][f]["mean"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&mean), "{way} {f} {mean}");
            assert!(r[way][f]["stderr"].as_f64().unwrap() >= 0.0);
            for p in pieces {
                let x = p[way][f].as_f64().unwrap();
                assert!((0.0..=1.0).contains(&x), "{} {way} {f} {x}", p["file"]);
            }
        }
    }
    // The real continuation is all C, so the pitch-class overlap is the share of C played:
    // after four bars of C the model plays it several times as often as by itself (it
    // continues with a tune of its own, in which C is one note of several).
    for p in &pieces[1..] {
        let (primed, unprimed) = (
            p["primed"]["pitch_class"].as_f64().unwrap(),
            p["unprimed"]["pitch_class"].as_f64().unwrap(),
        );
        assert!(
            primed > 2.0 * unprimed && primed > unprimed + 0.1,
            "{}: {primed} primed, {unprimed} unprimed",
            p["file"]
        );
    }
}
