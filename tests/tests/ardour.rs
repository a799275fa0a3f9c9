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
//!
//! With a phrase, a MIDI region on DeepMIDI's own track plays it into the plugin from disk,
//! as a clip a musician recorded would: Thru passes it on to the sample, and Listen answers
//! it on the beat once the musician has been silent for Answer After beats.

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
    /// Notes of a MIDI region on DeepMIDI's track: onset and length in beats, pitch.
    phrase: &'static [(f64, f64, u8)],
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
    /// The notes of the region on DeepMIDI's track, in ticks from beat 0.
    phrase: Vec<Note>,
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
    if !run.phrase.is_empty() {
        let notes: Vec<String> = run
            .phrase
            .iter()
            .map(|(onset, length, pitch)| format!("{onset}:{length}:{pitch}"))
            .collect();
        command.args(["--phrase", &notes.join(",")]);
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
    let recording = parse(&text);
    // The region on DeepMIDI's track holds the phrase, to the tick.
    assert_same_notes(
        &phrase_notes(run.phrase, TICKS),
        &recording.phrase,
        0,
        &format!("{name}: the region on DeepMIDI's track"),
    );
    recording
}

fn parse(text: &str) -> Recording {
    let mut played = None;
    let (mut recorded, mut tapped, mut phrase) = (Vec::new(), Vec::new(), Vec::new());
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
            // phrase PITCH VEL CHAN ONSET_TICKS LEN_TICKS
            Some(&"phrase") => phrase.push(Note {
                on: int(4),
                pitch: int(1) as u8,
                channel: (int(3) - 1) as u8,
                off: int(4) + int(5),
            }),
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
        phrase,
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
            phrase: &[],
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
            phrase: &[],
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
        phrase: &[],
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

/// What the musician plays: C major up in eighth notes, from the second eighth of bar 1 to
/// beat 4.5 (onset and length in beats, pitch); notes the answer could play too.
const PHRASE: &[(f64, f64, u8)] = &[
    (0.5, 0.5, 60),
    (1.0, 0.5, 62),
    (1.5, 0.5, 64),
    (2.0, 0.5, 65),
    (2.5, 0.5, 67),
    (3.0, 0.5, 69),
    (3.5, 0.5, 71),
    (4.0, 0.5, 72),
];

/// The phrase's notes on channel 1 (0-based 0), in `unit`s per beat.
fn phrase_notes(phrase: &[(f64, f64, u8)], unit: f64) -> Vec<Note> {
    let mut notes: Vec<Note> = phrase
        .iter()
        .map(|&(onset, length, pitch)| Note {
            on: (onset * unit).round() as i64,
            pitch,
            channel: 0,
            off: ((onset + length) * unit).round() as i64,
        })
        .collect();
    notes.sort();
    notes
}

/// With Thru, the plugin passes the region's notes on at their samples (Ardour plays a
/// region's notes on the sample their beat falls in) while playing its own on another
/// channel; Rec records them at their ticks.
#[test]
fn ardour_plays_a_region_into_the_plugin_and_thru_passes_it_on() {
    let run = Run {
        bpm: 110.0,
        buffer: 512,
        length: Length::Bars(2),
        params: &[
            ("Model", "irish"),
            ("Seed", "3"),
            ("Thru", "1"),
            ("MIDI Channel", "2"),
        ],
        phrase: PHRASE,
    };
    let ardour = ardour_run(&run, "thru");
    let spb = SAMPLE_RATE * 60.0 / run.bpm;
    let passed: Vec<Note> = ardour
        .tapped
        .iter()
        .filter(|n| n.channel == 0)
        .copied()
        .collect();
    assert_same_notes(
        &phrase_notes(run.phrase, spb),
        &passed,
        1,
        "thru: what the plugin sent on channel 1 against the region",
    );
    let own = ardour.tapped.len() - passed.len();
    assert!(
        own >= 8 && ardour.tapped.iter().all(|n| n.channel <= 1),
        "thru: {own} notes of the plugin's own on channel 2 in 2 bars: {:?}",
        ardour.tapped
    );
    let mut recorded: Vec<Note> = ardour
        .recorded
        .iter()
        .map(|(_, n)| *n)
        .filter(|n| n.channel == 0)
        .collect();
    recorded.sort();
    assert_same_notes(
        &phrase_notes(run.phrase, TICKS),
        &recorded,
        1,
        "thru: Ardour's recording of channel 1 against the region",
    );
    eprintln!("thru: {} notes passed on, {own} of its own", passed.len());
}

/// With Listen, the plugin is silent while the region plays and for Answer After beats of
/// silence after its last note-off; then it answers from the next beat, for at most Answer
/// Length bars, and listens again. Thru is off: nothing of the phrase comes out.
#[test]
fn ardour_listen_answers_a_region_on_the_beat_after_the_silence() {
    let (after, bars) = (2.0, 4.0);
    let run = Run {
        bpm: 110.0,
        buffer: 512,
        length: Length::Bars(8),
        params: &[
            ("Model", "irish"),
            ("Seed", "3"),
            ("Listen", "1"),
            ("Answer After", "2"),
            ("Answer Length", "4"),
            ("Sync to Bar", "0"),
            ("Thru", "0"),
        ],
        phrase: PHRASE,
    };
    let ardour = ardour_run(&run, "listen");
    let spb = SAMPLE_RATE * 60.0 / run.bpm;
    // The plugin hears the last note-off on the sample of beat 4.5 and sees Ardour's song
    // positions rounded to 1/1920 beat.
    let tolerance = spb / TICKS + 1.0;
    let phrase_end = run
        .phrase
        .iter()
        .map(|&(o, l, _)| o + l)
        .fold(0.0, f64::max);
    let silent_from = phrase_end + after;
    let answer_beat = silent_from.ceil();
    let answer_end = answer_beat + bars * 4.0;

    let answer = &ardour.tapped;
    let Some(first) = answer.first() else {
        panic!("listen: no answer in {} samples", ardour.played)
    };
    let beats = |t: i64| t as f64 / spb;
    assert!(
        first.on as f64 >= silent_from * spb - tolerance,
        "listen: the answer starts at beat {:.4}, before {after} beats of silence after the \
         phrase's last note-off at beat {phrase_end}; notes {answer:?}",
        beats(first.on)
    );
    assert!(
        (first.on as f64 - answer_beat * spb).abs() <= tolerance,
        "listen: the answer's first onset is at beat {:.4}, not on beat {answer_beat}, the \
         first at or after the silence",
        beats(first.on)
    );
    let late: Vec<&Note> = answer
        .iter()
        .filter(|n| n.off as f64 > answer_end * spb + tolerance)
        .collect();
    assert!(
        late.is_empty(),
        "listen: notes past the answer's {bars} bars (beat {answer_end}): {late:?}"
    );
    assert!(
        answer.len() >= 8,
        "listen: only {} notes answered",
        answer.len()
    );
    // Rec recorded the answer, and nothing else, at its ticks.
    let mut recorded: Vec<Note> = ardour.recorded.iter().map(|(_, n)| *n).collect();
    recorded.sort();
    assert_same_notes(
        &in_ticks(answer, run.bpm, 0.0),
        &recorded,
        1,
        "listen: Ardour's recording against what the plugin sent",
    );
    eprintln!(
        "listen: {} notes answered from beat {:.4} to {:.4}",
        answer.len(),
        beats(first.on),
        beats(answer.iter().map(|n| n.off).max().unwrap_or(0))
    );
}
