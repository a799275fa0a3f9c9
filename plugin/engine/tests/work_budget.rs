//! The audio thread's work follows the audio's duration: with 32-frame buffers, no buffer
//! runs more network steps than its allowance (`STEPS_PER_SECOND` × its length; one step
//! more, borrowed from the next buffers, where one note steps both networks), while the
//! musician strikes 12-note chords every half beat, when the answer starts, while the
//! temperature moves every buffer, and while playing on. Counted in network steps, not
//! timed: `deepmidi bench` times it.

mod common;

use common::shipped;
use deepmidi_engine::model::ModelSet;
use deepmidi_engine::realtime::{
    AnswerLength, Engine, EngineEvent, EngineParams, Listening, Transport, REPLAYS_PER_STEP,
    STEPS_PER_SECOND,
};

const RATE: f64 = 48_000.0;
const FRAMES: u32 = 32;
/// Samples a beat at 120 BPM.
const BEAT: i64 = 24_000;

/// What each 32-frame buffer did.
struct Work {
    /// Network steps run.
    steps: Vec<u64>,
    /// Logged steps replayed.
    replays: Vec<u64>,
    /// Note-ons played.
    notes: Vec<u64>,
    /// The buffer the first note-on came in.
    first_note: Option<usize>,
}

/// The work of each 32-frame buffer over `seconds`; `input(clock)` gives the musician's
/// notes of the buffer starting at `clock`, `params(buffer)` the settings of each buffer.
fn work_per_buffer(
    model: &ModelSet,
    seconds: f64,
    params: impl Fn(usize) -> EngineParams,
    input: impl Fn(i64) -> Vec<EngineEvent>,
) -> Work {
    let mut engine = Engine::new(model, RATE, 7).unwrap();
    let (mut steps, mut replays, mut notes, mut first_note) =
        (Vec::new(), Vec::new(), Vec::new(), None);
    let buffers = (seconds * RATE / f64::from(FRAMES)) as usize;
    for b in 0..buffers {
        let clock = b as i64 * i64::from(FRAMES);
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some(clock as f64 / BEAT as f64),
            ..Default::default()
        };
        let (before, replayed_before) = (engine.network_steps(), engine.replayed_steps());
        let mut played = 0;
        engine.process_with_input(FRAMES, &transport, &params(b), &input(clock), &mut |e| {
            played += u64::from(matches!(e, EngineEvent::NoteOn { .. }))
        });
        steps.push(engine.network_steps() - before);
        replays.push(engine.replayed_steps() - replayed_before);
        notes.push(played);
        if played > 0 && first_note.is_none() {
            first_note = Some(b);
        }
    }
    Work {
        steps,
        replays,
        notes,
        first_note,
    }
}

/// The allowance of a 32-frame buffer.
fn allowance() -> u64 {
    (f64::from(FRAMES) * STEPS_PER_SECOND / RATE).ceil() as u64
}

/// Checks that from buffer `from` on, no buffer runs more network steps than its allowance
/// but for one step borrowed from the next buffers (hearing one note, the musician's or a
/// key's primer, steps both networks at once), and that the borrowing is paid back: no 16
/// buffers run more than their allowance and one step.
fn assert_within_allowance(what: &str, steps: &[u64], notes: &[u64], from: usize) {
    for (b, &s) in steps.iter().enumerate().skip(from) {
        assert!(
            s <= allowance().max(2),
            "{what}: buffer {b} ran {s} steps playing {} notes (allowance {})",
            notes[b],
            allowance()
        );
    }
    for (b, window) in steps[from..].windows(16).enumerate() {
        let sum: u64 = window.iter().sum();
        assert!(
            sum <= 16 * allowance() + 1,
            "{what}: buffers {}.. ran {sum} steps",
            from + b
        );
    }
}

/// 12-note chords struck every half beat for two bars from beat 1, each held a quarter beat.
fn chords(clock: i64) -> Vec<EngineEvent> {
    let pitches = [36, 43, 48, 52, 55, 60, 64, 67, 72, 76, 79, 84];
    let mut events = Vec::new();
    for k in 0..16i64 {
        let on = BEAT + k * BEAT / 2;
        let off = on + BEAT / 4;
        for (at, is_on) in [(off, false), (on, true)] {
            if !(clock..clock + i64::from(FRAMES)).contains(&at) {
                continue;
            }
            let sample = (at - clock) as u32;
            for pitch in pitches {
                events.push(if is_on {
                    EngineEvent::NoteOn {
                        sample,
                        pitch,
                        velocity: 100,
                        channel: 0,
                    }
                } else {
                    EngineEvent::NoteOff {
                        sample,
                        pitch,
                        channel: 0,
                    }
                });
            }
        }
    }
    events
}

#[test]
fn hearing_chords_and_answering_stay_within_the_allowance() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let listen = EngineParams {
            listen: Some(Listening::new(1.0, AnswerLength::Bars(2))),
            ..EngineParams::default()
        };
        let Work {
            steps, first_note, ..
        } = work_per_buffer(&model, 8.0, |_| listen, chords);
        let answer = first_note.expect("an answer");
        // The answer comes after the chords (the last one ends at beat 8.75) and a beat of
        // silence, on beat 10.
        let answer_beat = (answer as i64 * i64::from(FRAMES)) as f64 / BEAT as f64;
        assert!(
            (9.99..10.01).contains(&answer_beat),
            "{name}: answer at {answer_beat}"
        );
        assert_within_allowance(name, &steps, &vec![0; steps.len()], 0);
        // The chords were heard: the networks did the work (every note of bach's split
        // chords, one step a chord for irish), spread over the buffers.
        let total: u64 = steps.iter().sum();
        let heard = if name == "bach" { 16 * 12 * 2 } else { 16 * 2 };
        assert!(total >= heard, "{name}: {total} steps");
    }
}

/// A new temperature redraws the next event when it comes in time to, and the log replays
/// every step whose input is unchanged; one too close to an onset takes the onset after
/// (`steering_change.rs`). So no buffer runs more than its allowance, the onsets' included.
#[test]
fn a_temperature_moving_every_buffer_stays_within_the_allowance() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let moving = |b: usize| EngineParams {
            temperature: 0.6 + 0.4 * ((b as f64 / 50.0).sin() as f32),
            ..EngineParams::default()
        };
        let Work {
            steps,
            replays,
            notes,
            first_note,
        } = work_per_buffer(&model, 6.0, moving, |_| Vec::new());
        // The first event is drawn when the transport starts, with nothing ahead of it.
        let first = first_note.expect("notes played");
        assert!(notes.iter().sum::<u64>() > 10, "{name}: {notes:?}");
        assert_within_allowance(name, &steps, &notes, first + 1);
        // Replays are charged a fraction of a step: a buffer takes at most its allowance's
        // worth, and what was left over from the buffer before.
        let most = u64::from(REPLAYS_PER_STEP) * (allowance() + 1);
        for (b, &r) in replays.iter().enumerate().skip(first + 1) {
            assert!(r <= most, "{name}: buffer {b} replayed {r} steps");
        }
        // The redraws did happen: replays many times the steps run.
        assert!(
            replays.iter().sum::<u64>() > 4 * steps.iter().sum::<u64>(),
            "{name}"
        );
        // Without the log every buffer would draw the whole next event again.
        let mean = steps.iter().sum::<u64>() as f64 / steps.len() as f64;
        assert!(mean < 1.0, "{name}: {mean} steps a buffer");
    }
}

/// A new key's lock changes the music at the next onset without a burst of work. An onset
/// far enough away is drawn anew after the key's tonic primer, within the allowance; one
/// closer than that (a change on the very beat of an onset) plays as drawn, moved into the
/// new lock, and the primer comes after it. So no buffer runs more than its allowance, the
/// change landing on an onset, just before one, or between them. (The first onset, when the
/// transport starts, is drawn at once, whatever the lock.)
#[test]
fn a_lock_change_stays_within_the_allowance() {
    use deepmidi_engine::harmony::{PitchClass, PitchLock, Scale};
    let locks = [
        PitchLock::new(Scale::Major, PitchClass::of(0), 48, 84),
        PitchLock::new(Scale::Dorian, PitchClass::of(2), 40, 72),
        PitchLock::new(Scale::MinorPentatonic, PitchClass::of(9), 55, 96),
        PitchLock::default(),
    ];
    for name in ["irish", "bach"] {
        let model = shipped(name);
        // A new lock every 2 beats: on the beat, where onsets fall too, 5 ms before it
        // (too close to draw anew), and 30 ms before it (in time).
        for early in [0, 240, 1440] {
            let params = |b: usize| {
                let clock = b as i64 * i64::from(FRAMES) + early;
                EngineParams {
                    lock: locks[(clock / (2 * BEAT)) as usize % locks.len()],
                    ..EngineParams::default()
                }
            };
            let Work {
                steps,
                notes,
                first_note: first,
                ..
            } = work_per_buffer(&model, 12.0, params, |_| Vec::new());
            assert!(notes.iter().sum::<u64>() > 20, "{name}: {notes:?}");
            // The first event is drawn when the transport starts, with nothing ahead of it.
            let first = first.expect("notes played");
            assert_within_allowance(
                &format!("{name}, {early} samples early"),
                &steps,
                &notes,
                first + 1,
            );
        }
    }
}
