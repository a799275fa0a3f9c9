//! The release VST3 bundle in a real DAW: Ardour 7, headless (`ardour7-lua` on the Dummy
//! backend at 10x speed), driven by `tests/ardour/run.sh`. DeepMIDI plays on one MIDI track,
//! a second, record-armed MIDI track records its output, and a Lua tap right after the
//! plugin logs what it sent with exact sample times.
//!
//! Ardour rounds the song position it gives VST3 plugins to 1/1920 beat, which is what broke
//! the first version at 120 BPM. Each run is checked against the CLAP test host playing the
//! same model, seed and settings with exact positions and the same buffer size: the same
//! pitches, onsets and lengths within 1/1920 beat (Ardour's recording resolution), except
//! the length of a note cut by the stop.

use deepmidi_host_tests::bundles::{vst3_bundle, workspace_root};
use deepmidi_host_tests::capture::{assert_same_notes, Note};
use deepmidi_host_tests::host::{select_model, set_param_text, Session, SAMPLE_RATE};
use deepmidi_host_tests::scenario::{Clap, Format};
use std::process::Command;

/// Ardour's ticks per beat: the resolution of its recorded MIDI.
const TICKS: f64 = 1920.0;

/// One Ardour run's settings.
struct Run {
    bpm: f64,
    buffer: u32,
    /// Bars of 4/4 from beat 0, or a loop: start and end beat, and passes.
    length: Length,
    /// Plugin parameters, by name, as plain values (Model by name).
    params: &'static [(&'static str, &'static str)],
}

enum Length {
    Bars(u32),
    Loop(f64, f64, u32),
}

/// What Ardour recorded and what the tap saw.
struct Recording {
    /// Recorded notes in ticks from beat 0, with the take (region) number.
    recorded: Vec<(usize, Note)>,
    /// The plugin's output in samples since the transport started rolling; a note still
    /// sounding at the stop ends at the stop.
    tapped: Vec<Note>,
    /// Samples played from the roll to the stop.
    played: i64,
}

fn ardour_run(run: &Run, name: &str) -> Recording {
    let script = workspace_root().join("tests/ardour/run.sh");
    let out =
        std::env::temp_dir().join(format!("deepmidi-ardour-{name}-{}.txt", std::process::id()));
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .args(["--plugin", &vst3_bundle().to_string_lossy()])
        .args(["--bpm", &run.bpm.to_string()])
        .args(["--buffer", &run.buffer.to_string()])
        .args(["--out", &out.to_string_lossy()])
        // Only the built-in models: the plugin's user folder is a fresh, empty one.
        .env_remove("DEEPMIDI_MODELS_DATA_HOME");
    match run.length {
        Length::Bars(bars) => command.args(["--bars", &bars.to_string()]),
        Length::Loop(start, end, passes) => {
            command.args(["--loop", &format!("{start}:{end}:{passes}")])
        }
    };
    for (param, value) in run.params {
        command.args(["--param", &format!("{param}={value}")]);
    }
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "Ardour run {name} failed ({}); is Debian's `ardour` package installed (`ardour7-lua`)?\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("the run's note list");
    let _ = std::fs::remove_file(&out);
    parse(&text)
}

fn parse(text: &str) -> Recording {
    let mut played = None;
    let (mut recorded, mut tapped) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let int =
            |i: usize| -> i64 { w[i].parse().unwrap_or_else(|_| panic!("bad line {line:?}")) };
        match w.first() {
            // "# ARDOUR-TEST: stopped at sample S played N": N samples from roll to stop,
            // counted by the tap (a loop's transport position goes back).
            Some(&"#") if line.contains("stopped at sample") => {
                played = w.last().and_then(|n| n.parse().ok());
            }
            // note REGION PITCH VEL CHAN ONSET_TICKS LEN_TICKS ...
            Some(&"note") => recorded.push((
                int(1) as usize,
                Note {
                    on: int(5),
                    pitch: int(2) as u8,
                    channel: (int(4) - 1) as u8,
                    off: int(5) + int(6),
                },
            )),
            // tapnote PITCH VEL CHAN ONSET_SAMPLE ONSET_BEATS ONSET_TICKS LEN_SAMPLES LEN_BEATS PLAYED
            Some(&"tapnote") => tapped.push((int(1) as u8, (int(3) - 1) as u8, int(9), int(7))),
            _ => {}
        }
    }
    let played: i64 = played.expect("the samples played, in the tap's stop line");
    let tapped = tapped
        .into_iter()
        .map(|(pitch, channel, on, length)| Note {
            on,
            pitch,
            channel,
            off: if length < 0 { played } else { on + length },
        })
        .collect::<Vec<_>>();
    let mut tapped = tapped;
    tapped.sort();
    Recording {
        recorded,
        tapped,
        played,
    }
}

/// The CLAP test host's notes for the same run: exact positions, the same buffer size, as
/// many samples as Ardour played, then a stop.
fn clap_reference(run: &Run, played: i64) -> Vec<Note> {
    let mut host = Clap::load();
    for (param, value) in run.params {
        match *param {
            "Model" => select_model(&mut host, value),
            _ => set_param_text(&mut host, param, value),
        }
    }
    let mut s = Session::new(host, run.bpm);
    s.split_at_loop_end = true;
    if let Length::Loop(start, end, _) = run.length {
        // Ardour's loop points are whole samples.
        let spb = s.transport.samples_per_beat();
        let on_a_sample = |beat: f64| (beat * spb).round() / spb;
        s.transport.locate(on_a_sample(start));
        s.transport.loop_beats = Some((on_a_sample(start), on_a_sample(end)));
    }
    while s.clock < played {
        s.run(run.buffer.min((played - s.clock) as u32));
    }
    s.transport.playing = false;
    s.run(run.buffer);
    s.capture.assert_clean("CLAP reference");
    s.capture.notes()
}

/// Notes in samples since the roll, in ticks from `from_beat`.
fn in_ticks(notes: &[Note], bpm: f64, from_beat: f64) -> Vec<Note> {
    let spb = SAMPLE_RATE * 60.0 / bpm;
    let ticks = |t: i64| ((t as f64 / spb + from_beat) * TICKS).round() as i64;
    notes
        .iter()
        .map(|n| Note {
            on: ticks(n.on),
            off: ticks(n.off),
            ..*n
        })
        .collect()
}

/// Compares Ardour's recording of a plain run with the CLAP host's notes.
fn check_plain_run(run: &Run, name: &str) {
    let ardour = ardour_run(run, name);
    let reference = clap_reference(run, ardour.played);
    let end_ticks = (ardour.played as f64 / (SAMPLE_RATE * 60.0 / run.bpm) * TICKS).round() as i64;
    // The stop comes at the end of a buffer: notes starting there are not compared.
    let mut want = in_ticks(&reference, run.bpm, 0.0);
    want.retain(|n| n.on < end_ticks);
    let mut got: Vec<Note> = ardour
        .recorded
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| n.on < end_ticks)
        .collect();
    got.sort();
    assert!(
        want.len() >= 64,
        "{name}: only {} notes in 16 bars",
        want.len()
    );
    // A note cut by the stop: its length is wherever each host ended it.
    for (w, g) in want.iter_mut().zip(got.iter_mut()) {
        if w.off >= end_ticks {
            w.off = w.on;
            g.off = g.on;
        }
    }
    assert_same_notes(
        &want,
        &got,
        1,
        &format!("{name}: Ardour's recording against the CLAP host"),
    );
    // The tap sees the plugin's exact output: the same to the sample.
    assert_same_notes(
        &reference,
        &ardour.tapped,
        1,
        &format!("{name}: what the plugin sent in Ardour"),
    );
    eprintln!(
        "{name}: {} notes recorded in {} samples",
        got.len(),
        ardour.played
    );
}

#[test]
fn ardour_records_the_notes_the_clap_host_hears_at_120_bpm_1024_samples() {
    check_plain_run(
        &Run {
            bpm: 120.0,
            buffer: 1024,
            length: Length::Bars(16),
            params: &[("Model", "irish"), ("Seed", "42")],
        },
        "120 BPM, 1024 samples",
    );
}

#[test]
fn ardour_records_the_notes_the_clap_host_hears_at_93_bpm_480_samples() {
    check_plain_run(
        &Run {
            bpm: 93.0,
            buffer: 480,
            length: Length::Bars(16),
            params: &[("Model", "bach"), ("Seed", "7"), ("Temperature", "1")],
        },
        "93 BPM, 480 samples",
    );
}

/// Ardour loops by splitting the buffer at the loop end and jumping to the loop start: the
/// notes sounding at the loop end must end there, in the buffer before the jump, and every
/// pass is recorded as its own take.
#[test]
fn ardour_loop_ends_the_notes_at_the_loop_end() {
    let (start, end, passes) = (4.0, 13.5, 3);
    let run = Run {
        bpm: 140.5,
        buffer: 256,
        length: Length::Loop(start, end, passes),
        params: &[("Model", "irish"), ("Seed", "5"), ("Gate", "1")],
    };
    let ardour = ardour_run(&run, "loop");
    let reference = clap_reference(&run, ardour.played);
    assert!(reference.len() > 30, "only {} notes", reference.len());
    assert_same_notes(
        &reference,
        &ardour.tapped,
        1,
        "loop: what the plugin sent in Ardour",
    );
    let spb = SAMPLE_RATE * 60.0 / run.bpm;
    let pass = (end * spb).round() as i64 - (start * spb).round() as i64;
    let mut cut = 0;
    for k in 1..=passes {
        let loop_end = i64::from(k) * pass;
        for n in ardour.tapped.iter().filter(|n| n.on < loop_end) {
            assert!(
                n.off <= loop_end,
                "loop: {n:?} sounds past the loop end at {loop_end}"
            );
            cut += usize::from(n.off >= loop_end - 1 && k < passes);
        }
    }
    assert!(cut >= 1, "loop: no note was sounding at a loop end");
    // Every take holds the notes of its pass, none past the loop end. (The stop comes at the
    // end of a buffer: after the last pass, that buffer is a take of its own.)
    let takes = ardour.recorded.iter().map(|(t, _)| *t).max().unwrap_or(0);
    assert!(takes >= passes as usize, "loop: {takes} takes recorded");
    let (start_ticks, end_ticks) = ((start * TICKS) as i64, (end * TICKS) as i64);
    for (take, n) in &ardour.recorded {
        assert!(
            n.on >= start_ticks && n.off <= end_ticks + 1,
            "loop: take {take} has {n:?} outside the loop"
        );
    }
    assert_eq!(
        ardour.recorded.len(),
        reference.len(),
        "loop: notes recorded"
    );
}
