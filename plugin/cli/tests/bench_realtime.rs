//! `deepmidi bench --realtime` through the built binary: a row for every model, buffer size
//! and scenario, each figure a number. Timings themselves are never asserted.

use std::path::PathBuf;

const FRAMES: [&str; 3] = ["32", "64", "128"];
const SCENARIOS: [&str; 4] = ["steady", "temperature", "lock", "listen"];

#[test]
fn the_realtime_table_has_a_row_of_numbers_for_every_scenario() {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let buffers = 200;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_deepmidi"))
        .args([
            "bench",
            "--realtime",
            "--cpu-time",
            "--warm-up",
            "10",
            "--buffers",
        ])
        .arg(buffers.to_string())
        .arg("--realtime-model")
        .arg(models.join("irish"))
        .arg("--realtime-model")
        .arg(models.join("bach"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("model ") && l.contains("p99.9_%"))
        .unwrap_or_else(|| panic!("no table header in\n{stdout}"));
    let columns: Vec<&str> = lines[header].split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "model",
            "frames",
            "scenario",
            "p50_us",
            "p99.9_%",
            "worst_%",
            "cpu_p99.9_%",
            "cpu_worst_%",
            "overruns",
            "notes",
            "answers",
            "answer_worst_%"
        ]
    );
    let rows: Vec<Vec<&str>> = lines[header + 1..]
        .iter()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let mut expected = Vec::new();
    for model in ["irish", "bach"] {
        for frames in FRAMES {
            for scenario in SCENARIOS {
                expected.push((model, frames, scenario));
            }
        }
    }
    let keys: Vec<(&str, &str, &str)> = rows.iter().map(|r| (r[0], r[1], r[2])).collect();
    assert_eq!(keys, expected, "{stdout}");
    for row in &rows {
        assert_eq!(row.len(), columns.len(), "{row:?}");
        let number = |i: usize| -> f64 {
            row[i]
                .parse()
                .unwrap_or_else(|_| panic!("{} is {:?} in {row:?}", columns[i], row[i]))
        };
        let (p50, p999, worst) = (number(3), number(4), number(5));
        assert!(p50 >= 0.0 && p999 >= 0.0, "{row:?}");
        // Order statistics of the same buffers, whatever the timings.
        assert!(p999 <= worst, "{row:?}");
        // The same calls by the thread's CPU clock (Linux has one).
        let (cpu_p999, cpu_worst) = (number(6), number(7));
        assert!(cpu_p999 > 0.0 && cpu_p999 <= cpu_worst, "{row:?}");
        let overruns: usize = row[8].parse().unwrap();
        assert!(overruns <= buffers, "{row:?}");
        let _notes: usize = row[9].parse().unwrap();
        if row[2] == "listen" {
            let answers: usize = row[10].parse().unwrap();
            if answers > 0 {
                assert!(number(11) >= 0.0, "{row:?}");
            } else {
                assert_eq!(row[11], "-", "{row:?}");
            }
        } else {
            assert_eq!(&row[10..], ["-", "-"], "{row:?}");
        }
    }
}
