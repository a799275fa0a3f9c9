//! The real-time table of `deepmidi bench`: how long the audio thread's `Player::process`
//! takes per buffer under the conditions that make it work hardest, as a share of the buffer.
//!
//! A host drops audio when one buffer is late, so the mean says little: the table gives the
//! 99.9th percentile and the worst buffer. Each row drives a fresh player the way a host
//! does (transport advancing per buffer, controls read every buffer, the musician's notes at
//! their samples), times each `process` call alone, and keeps the driving itself (building
//! controls and input) outside the timed span.
//!
//! Each call is timed by the wall clock, what the host waits for, and on request also by the
//! thread's CPU clock, the work the call did. They differ by the time the thread was
//! preempted, by the kernel or, on a virtual machine, by the hypervisor (steal time): a
//! `SCHED_FIFO` audio thread still loses the CPU then, for milliseconds, in whichever call
//! it falls.

use crate::harmony::{PitchClass, PitchLock, Scale};
use crate::realtime::{EngineEvent, EngineParams, Listening, Transport};
use anyhow::{bail, Result};
use deepmidi_engine::catalogue::{ModelEntry, ModelSource};
use deepmidi_engine::player::{InputNotes, Player, PlayerControls};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const SAMPLE_RATE: f64 = 48_000.0;
pub const BPM: f64 = 120.0;
/// Buffer sizes timed: from the smallest hosts offer for live playing to a common default.
pub const FRAMES: [u32; 3] = [32, 64, 128];
/// Exact at 120 BPM and 48 kHz, so the scenarios' events fall on whole samples.
const SAMPLES_PER_BEAT: u64 = 24_000;
/// Buffers around an answer's first note counted as its start: the answer is prepared in
/// the buffers before its first note (feeding what was heard) and steps on after it.
const ANSWER_SPAN: usize = 2;

/// What the host does while the player plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Default controls, no input.
    Steady,
    /// Temperature automated: a new value every buffer, a sine between 0.5 and 1.2 over 16
    /// beats. A change redraws the event drawn ahead.
    Temperature,
    /// Scale, root and range changed every 2 beats.
    Lock,
    /// Listen on; 12-note chords every half beat for 2 bars, then 2 bars of silence in
    /// which the answer starts (2 beats after the last note-off), cut short by the next
    /// round of chords: every 4 bars an answer starts and one is interrupted.
    Listen,
}

impl Scenario {
    pub const ALL: [Scenario; 4] = [
        Scenario::Steady,
        Scenario::Temperature,
        Scenario::Lock,
        Scenario::Listen,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scenario::Steady => "steady",
            Scenario::Temperature => "temperature",
            Scenario::Lock => "lock",
            Scenario::Listen => "listen",
        }
    }

    /// The controls of the buffer starting at `beat`.
    fn controls(self, beat: f64) -> PlayerControls {
        let mut engine = EngineParams::default();
        match self {
            Scenario::Steady => {}
            Scenario::Temperature => {
                engine.temperature =
                    (0.85 + 0.35 * (beat / 16.0 * std::f64::consts::TAU).sin()) as f32
            }
            Scenario::Lock => engine.lock = LOCKS[(beat / 2.0) as usize % LOCKS.len()],
            Scenario::Listen => engine.listen = Some(Listening::default()),
        }
        PlayerControls {
            slot: 0,
            seed: 1,
            reset: false,
            bypass: false,
            thru: false,
            engine,
        }
    }

    /// The musician's notes in the buffer of `frames` samples from sample `start`.
    fn input(self, start: u64, frames: u32, input: &mut InputNotes) {
        if self != Scenario::Listen {
            return;
        }
        let end = start + u64::from(frames);
        let within = |at: u64| (start..end).contains(&at).then(|| (at - start) as u32);
        let cycle = 16 * SAMPLES_PER_BEAT;
        for c in start / cycle..=(end - 1) / cycle {
            for k in 0..CHORDS {
                let on = c * cycle + k * SAMPLES_PER_BEAT / 2;
                let shift = if k < CHORDS / 2 { 0 } else { 5 };
                for pitch in CHORD.map(|p| p + shift) {
                    if let Some(sample) = within(on) {
                        input.push(EngineEvent::NoteOn {
                            sample,
                            pitch,
                            velocity: 100,
                            channel: 0,
                        });
                    }
                    if let Some(sample) = within(on + SAMPLES_PER_BEAT * 2 / 5) {
                        input.push(EngineEvent::NoteOff {
                            sample,
                            pitch,
                            channel: 0,
                        });
                    }
                }
            }
        }
    }
}

/// Chords a round: every half beat for 2 bars of 4/4.
const CHORDS: u64 = 16;
/// Twelve notes of C major over five octaves (and of F major, 5 semitones up).
const CHORD: [u8; 12] = [36, 43, 48, 52, 55, 60, 64, 67, 72, 76, 79, 84];

/// The locks the lock scenario moves through.
const LOCKS: [PitchLock; 4] = [
    PitchLock {
        scale: Scale::Major,
        root: PitchClass::C,
        lowest: 48,
        highest: 84,
    },
    PitchLock {
        scale: Scale::Dorian,
        root: PitchClass::C,
        lowest: 40,
        highest: 72,
    },
    PitchLock {
        scale: Scale::MinorPentatonic,
        root: PitchClass::C,
        lowest: 55,
        highest: 96,
    },
    PitchLock {
        scale: Scale::Chromatic,
        root: PitchClass::C,
        lowest: 60,
        highest: 62,
    },
];

/// What one row measured.
pub struct Row {
    pub frames: u32,
    /// Wall-clock seconds per timed `process` call, in order.
    pub times: Vec<f64>,
    /// The thread's CPU seconds per call, in order; empty when not asked for, or where the
    /// platform has no thread CPU clock.
    pub cpu_times: Vec<f64>,
    /// Note-ons the player sent in the timed buffers.
    pub notes: usize,
    /// Timed buffers in which an answer's first note fell.
    pub answers: Vec<usize>,
}

impl Row {
    fn budget(&self) -> f64 {
        f64::from(self.frames) / SAMPLE_RATE
    }

    /// The `q`-quantile (nearest rank) of the wall times, in seconds.
    pub fn quantile(&self, q: f64) -> f64 {
        quantile(&self.times, q)
    }

    pub fn worst(&self) -> f64 {
        worst(&self.times)
    }

    /// The `q`-quantile of the CPU times; `None` without them.
    pub fn cpu_quantile(&self, q: f64) -> Option<f64> {
        (!self.cpu_times.is_empty()).then(|| quantile(&self.cpu_times, q))
    }

    pub fn cpu_worst(&self) -> Option<f64> {
        (!self.cpu_times.is_empty()).then(|| worst(&self.cpu_times))
    }

    /// Buffers that took longer than they last.
    pub fn overruns(&self) -> usize {
        let budget = self.budget();
        self.times.iter().filter(|t| **t > budget).count()
    }

    /// The worst buffer within [`ANSWER_SPAN`] buffers of an answer's first note; `None`
    /// when no answer started.
    pub fn worst_near_answers(&self) -> Option<f64> {
        self.answers
            .iter()
            .map(|&a| {
                let span =
                    a.saturating_sub(ANSWER_SPAN)..(a + ANSWER_SPAN + 1).min(self.times.len());
                self.times[span].iter().copied().fold(0.0, f64::max)
            })
            .reduce(f64::max)
    }

    fn percent(&self, seconds: f64) -> f64 {
        100.0 * seconds / self.budget()
    }
}

fn quantile(times: &[f64], q: f64) -> f64 {
    let mut sorted = times.to_vec();
    sorted.sort_by(f64::total_cmp);
    nearest_rank(&sorted, q)
}

fn worst(times: &[f64]) -> f64 {
    times.iter().copied().fold(0.0, f64::max)
}

/// The calling thread's CPU time in seconds, where the platform has a thread CPU clock.
fn thread_cpu_seconds() -> Option<f64> {
    #[cfg(unix)]
    {
        use rustix::time::{clock_gettime, ClockId};
        let t = clock_gettime(ClockId::ThreadCPUTime);
        Some(t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9)
    }
    #[cfg(not(unix))]
    None
}

fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Plays `scenario` on a fresh player of the model set in `model`: `warm_up` buffers
/// untimed, then `buffers` timed ones (also by the thread's CPU clock with `cpu_time`).
pub fn run_row(
    model: &Path,
    frames: u32,
    scenario: Scenario,
    warm_up: usize,
    buffers: usize,
    cpu_time: bool,
) -> Result<Row> {
    let entry = ModelEntry {
        name: model_name(model),
        source: ModelSource::Folder(model.to_path_buf()),
    };
    let first = scenario.controls(0.0);
    let mut player = Player::new(first.seed);
    let mut log = Vec::new();
    player.activate(&[entry], SAMPLE_RATE, &first, &mut |m| log.push(m));
    if !player.is_loaded() {
        bail!("{} did not load: {}", model.display(), log.join("; "));
    }
    let mut input = InputNotes::new();
    let mut row = Row {
        frames,
        times: Vec::with_capacity(buffers),
        cpu_times: Vec::with_capacity(buffers),
        notes: 0,
        answers: Vec::new(),
    };
    // Heard the musician since the last answer started: the next note-on the player sends
    // (Thru is off, so it is its own) starts an answer.
    let mut heard = false;
    for i in 0..warm_up + buffers {
        let start = i as u64 * u64::from(frames);
        let beat = start as f64 / SAMPLES_PER_BEAT as f64;
        let controls = scenario.controls(beat);
        input.clear();
        scenario.input(start, frames, &mut input);
        let plays = input
            .as_slice()
            .iter()
            .any(|e| matches!(e, EngineEvent::NoteOn { .. }));
        heard |= plays;
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(BPM),
            position_beats: Some(beat),
            ..Default::default()
        };
        let mut ons = 0;
        let cpu_began = cpu_time.then(thread_cpu_seconds).flatten();
        let began = Instant::now();
        player.process(
            frames,
            &transport,
            &controls,
            input.as_slice(),
            None,
            &mut |e| {
                ons += usize::from(matches!(e, EngineEvent::NoteOn { .. }));
                true
            },
        );
        let took = began.elapsed().as_secs_f64();
        let cpu_took = cpu_began.and_then(|a| thread_cpu_seconds().map(|b| b - a));
        let answer = heard && !plays && ons > 0;
        if answer {
            heard = false;
        }
        if i >= warm_up {
            row.times.push(took);
            row.cpu_times.extend(cpu_took);
            row.notes += ons;
            if answer {
                row.answers.push(i - warm_up);
            }
        }
    }
    Ok(row)
}

fn model_name(model: &Path) -> String {
    model
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| model.display().to_string())
}

/// The table's header; the rows under it have one whitespace-free field per column.
pub const HEADER: [&str; 12] = [
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
    "answer_worst_%",
];

/// Runs and prints every row: each model, buffer size and scenario.
pub fn print_table(
    models: &[PathBuf],
    warm_up: usize,
    buffers: usize,
    cpu_time: bool,
) -> Result<()> {
    println!(
        "real-time Player::process() at {} kHz, {BPM} BPM: {buffers} timed buffers a row after \
         {warm_up} untimed; % = share of the buffer's duration; overruns = buffers over 100%; \
         cpu_ (--cpu-time) = the thread's CPU time, without preemption; \
         answer_worst = worst buffer within {ANSWER_SPAN} of an answer's first note",
        SAMPLE_RATE / 1000.0
    );
    let widths = [8, 6, 12, 9, 9, 9, 12, 12, 9, 7, 8, 15];
    let line = |fields: [String; 12]| {
        let mut out = format!("{:<w$}", fields[0], w = widths[0]);
        for (i, f) in fields.iter().enumerate().skip(1) {
            let w = widths[i];
            if i == 2 {
                out += &format!(" {f:<w$}");
            } else {
                out += &format!(" {f:>w$}");
            }
        }
        println!("{}", out.trim_end());
    };
    line(HEADER.map(str::to_owned));
    for model in models {
        for frames in FRAMES {
            for scenario in Scenario::ALL {
                let row = run_row(model, frames, scenario, warm_up, buffers, cpu_time)?;
                let percent_or_dash =
                    |t: Option<f64>| t.map_or("-".to_owned(), |t| format!("{:.1}", row.percent(t)));
                let (answers, near) = match scenario {
                    Scenario::Listen => (
                        row.answers.len().to_string(),
                        percent_or_dash(row.worst_near_answers()),
                    ),
                    _ => ("-".to_owned(), "-".to_owned()),
                };
                line([
                    model_name(model),
                    frames.to_string(),
                    scenario.name().to_owned(),
                    format!("{:.1}", row.quantile(0.5) * 1e6),
                    format!("{:.1}", row.percent(row.quantile(0.999))),
                    format!("{:.1}", row.percent(row.worst())),
                    percent_or_dash(row.cpu_quantile(0.999)),
                    percent_or_dash(row.cpu_worst()),
                    row.overruns().to_string(),
                    row.notes.to_string(),
                    answers,
                    near,
                ]);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn irish() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/irish")
    }

    #[test]
    fn nearest_rank_quantiles() {
        let sorted: Vec<f64> = (1..=1000).map(f64::from).collect();
        assert_eq!(nearest_rank(&sorted, 0.5), 500.0);
        assert_eq!(nearest_rank(&sorted, 0.999), 999.0);
        assert_eq!(nearest_rank(&sorted, 1.0), 1000.0);
        assert_eq!(nearest_rank(&sorted[..10], 0.999), 10.0);
        assert_eq!(nearest_rank(&sorted[..1], 0.0), 1.0);
    }

    #[test]
    fn listen_rounds_of_chords_each_get_an_answer() {
        // Three rounds of 16 beats at 128 frames (187.5 buffers a beat).
        let row = run_row(&irish(), 128, Scenario::Listen, 0, 3 * 16 * 188, false).unwrap();
        assert_eq!(row.answers.len(), 3, "{:?}", row.answers);
        // Each answer starts on beat 10 of its round: 2 beats after the last note-off.
        for (round, &a) in row.answers.iter().enumerate() {
            let beat = (a as u64 * 128) as f64 / SAMPLES_PER_BEAT as f64 - round as f64 * 16.0;
            assert!(
                (10.0..10.1).contains(&beat),
                "answer {round} at beat {beat}"
            );
        }
        assert!(row.worst_near_answers().is_some());
    }

    #[test]
    fn chords_arrive_at_their_samples_in_order() {
        let mut input = InputNotes::new();
        // The buffer holding beat 16.0 (the second round's first chord) and the note-offs
        // of nothing before it: 12 note-ons at its sample 0.
        Scenario::Listen.input(16 * SAMPLES_PER_BEAT, 64, &mut input);
        let ons: Vec<u8> = input.as_slice().iter().map(|e| e.pitch()).collect();
        assert_eq!(ons, CHORD);
        assert!(input.as_slice().iter().all(|e| e.sample() == 0));
        // The buffer of the first round's last note-offs (beat 7.5 + 0.4).
        input.clear();
        Scenario::Listen.input(189_600 - 10, 32, &mut input);
        assert_eq!(input.as_slice().len(), 12);
        assert!(input
            .as_slice()
            .iter()
            .all(|e| matches!(e, EngineEvent::NoteOff { sample: 10, .. })));
        // Silence after it.
        input.clear();
        Scenario::Listen.input(10 * SAMPLES_PER_BEAT, 128, &mut input);
        assert!(input.as_slice().is_empty());
        Scenario::Steady.input(0, 128, &mut input);
        assert!(input.as_slice().is_empty());
    }

    #[test]
    fn automation_and_lock_change_over_time() {
        let temps: Vec<f32> = (0..64)
            .map(|b| {
                Scenario::Temperature
                    .controls(b as f64 / 4.0)
                    .engine
                    .temperature
            })
            .collect();
        assert!(temps.iter().all(|t| (0.5..=1.2).contains(t)));
        assert!(temps.windows(2).all(|w| w[0] != w[1]));
        let lock = |beat| Scenario::Lock.controls(beat).engine.lock;
        assert_eq!(lock(0.0), lock(1.9));
        assert_ne!(lock(1.9), lock(2.0));
        assert_eq!(lock(0.0), lock(8.0));
        assert_eq!(
            Scenario::Steady.controls(3.0),
            Scenario::Steady.controls(0.0)
        );
    }
}
