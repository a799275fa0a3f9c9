//! Listen on the shipped models, through the engine as the plugin drives it: silent while
//! the musician plays, an answer on the beat after the configured silence that follows the
//! phrase, cut at the sample the musician plays again, and the same music whatever the
//! host's buffer sizes.

mod common;

use common::shipped;
use deepmidi_engine::harmony::{PitchClass, Scale};
use deepmidi_engine::model::ModelSet;
use deepmidi_engine::realtime::{
    AnswerLength, Engine, EngineEvent, EngineParams, Listening, Transport,
};

const RATE: f64 = 48_000.0;
/// Samples a beat at 120 BPM.
const BEAT: i64 = 24_000;

/// A note the musician plays: start and length in samples, pitch.
#[derive(Clone, Copy)]
struct Played(i64, i64, u8);

/// `pitches` as eighth notes from beat 1, each held 0.4 beat.
fn phrase(pitches: &[u8]) -> Vec<Played> {
    pitches
        .iter()
        .enumerate()
        .map(|(k, &p)| Played(BEAT + k as i64 * BEAT / 2, BEAT * 2 / 5, p))
        .collect()
}

/// Where the phrase's last note ends, in beats.
fn phrase_end(phrase: &[Played]) -> f64 {
    phrase.iter().map(|p| p.0 + p.1).max().unwrap() as f64 / BEAT as f64
}

const F_SHARP_MAJOR: [u8; 8] = [66, 68, 70, 71, 73, 71, 70, 66];
const C_MAJOR: [u8; 8] = [60, 62, 64, 65, 67, 65, 64, 60];

fn listening(after: f64, length: AnswerLength) -> EngineParams {
    EngineParams {
        listen: Some(Listening::new(after, length)),
        ..EngineParams::default()
    }
}

/// Plays `samples` at 120 BPM from beat 0 in buffers cycling through `sizes`, the musician
/// playing `input`; returns (absolute sample, event) of everything the engine sent.
fn play(
    model: &ModelSet,
    params: &EngineParams,
    input: &[Played],
    sizes: &[u32],
    samples: i64,
    seed: u64,
) -> Vec<(i64, EngineEvent)> {
    let mut events: Vec<(i64, EngineEvent)> = Vec::new();
    for p in input {
        events.push((
            p.0,
            EngineEvent::NoteOn {
                sample: 0,
                pitch: p.2,
                velocity: 100,
                channel: 0,
            },
        ));
        events.push((
            p.0 + p.1,
            EngineEvent::NoteOff {
                sample: 0,
                pitch: p.2,
                channel: 0,
            },
        ));
    }
    // Time order, note-offs first at the same sample.
    events.sort_by_key(|(t, e)| (*t, e.velocity().is_some()));
    let mut engine = Engine::new(model, RATE, seed).unwrap();
    let (mut clock, mut out, mut buffer) = (0i64, Vec::new(), Vec::new());
    for &n in sizes.iter().cycle() {
        if clock >= samples {
            break;
        }
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some(clock as f64 / BEAT as f64),
            ..Default::default()
        };
        buffer.clear();
        for (t, e) in events
            .iter()
            .filter(|(t, _)| (clock..clock + i64::from(n)).contains(t))
        {
            let sample = (t - clock) as u32;
            buffer.push(match *e {
                EngineEvent::NoteOn {
                    pitch,
                    velocity,
                    channel,
                    ..
                } => EngineEvent::NoteOn {
                    sample,
                    pitch,
                    velocity,
                    channel,
                },
                EngineEvent::NoteOff { pitch, channel, .. } => EngineEvent::NoteOff {
                    sample,
                    pitch,
                    channel,
                },
            });
        }
        engine.process_with_input(n, &transport, params, &buffer, &mut |e| {
            assert!(e.sample() < n, "{e:?} in a buffer of {n}");
            out.push((clock + i64::from(e.sample()), e));
        });
        clock += i64::from(n);
    }
    out
}

fn onsets(events: &[(i64, EngineEvent)]) -> Vec<(i64, u8)> {
    events
        .iter()
        .filter(|(_, e)| e.velocity().is_some())
        .map(|(t, e)| (*t, e.pitch()))
        .collect()
}

/// Notes still sounding after `events`.
fn hanging(events: &[(i64, EngineEvent)]) -> usize {
    let mut on = [false; 128];
    for (_, e) in events {
        on[usize::from(e.pitch())] = e.velocity().is_some();
    }
    on.iter().filter(|s| **s).count()
}

#[test]
fn silent_while_listening_then_answers_on_the_beat_after_the_silence() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let input = phrase(&F_SHARP_MAJOR);
        for (after, bars) in [(2.0, 2), (0.5, 1), (3.25, 4)] {
            let params = listening(after, AnswerLength::Bars(bars));
            let out = play(&model, &params, &input, &[512], 40 * BEAT, 7);
            let start = (phrase_end(&input) + after).ceil();
            let first = onsets(&out)[0].0;
            assert_eq!(
                first,
                (start * BEAT as f64) as i64,
                "{name}: after {after} beats the answer starts at beat {}",
                first as f64 / BEAT as f64
            );
            assert!(
                out.iter().all(|(t, _)| *t >= first),
                "{name}: noise before the answer"
            );
            // Answer Length: no onset from the end of its bars; every note ends.
            let ends = (start + 4.0 * f64::from(bars)) * BEAT as f64;
            let last = onsets(&out).last().unwrap().0;
            assert!(
                (last as f64) < ends,
                "{name}: onset at {last} after the answer's end"
            );
            assert!(
                onsets(&out).len() >= 2 * bars as usize,
                "{name}: a short answer"
            );
            assert_eq!(hanging(&out), 0, "{name}: notes left hanging");
        }
        // Before anyone plays there is nothing to answer.
        let params = listening(2.0, AnswerLength::UntilIPlay);
        assert!(play(&model, &params, &[], &[512], 20 * BEAT, 7).is_empty());
    }
}

#[test]
fn the_answer_follows_the_phrase() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let params = listening(2.0, AnswerLength::Bars(4));
        // Seconds of the answer to compare: beat 7 (after the phrase) to beat 23.
        let window = |events: &[(i64, EngineEvent)]| -> Vec<u8> {
            onsets(events)
                .into_iter()
                .filter(|(t, _)| (7 * BEAT..23 * BEAT).contains(t))
                .map(|(_, p)| p)
                .collect()
        };
        let in_key = |pitches: &[u8], root: u8| {
            let scale = Scale::Major.intervals();
            let n = pitches
                .iter()
                .filter(|&&p| scale & (1 << ((p + 12 - root) % 12)) != 0)
                .count();
            n as f64 / pitches.len().max(1) as f64
        };
        // Shares of the answers in F# major, after an F# major phrase, after a C major one,
        // and of the free stream.
        let (mut heard, mut other, mut free) = (0.0, 0.0, 0.0);
        let seeds = 6u32;
        for seed in 0..u64::from(seeds) {
            let answer_f = window(&play(
                &model,
                &params,
                &phrase(&F_SHARP_MAJOR),
                &[256],
                24 * BEAT,
                seed,
            ));
            let answer_c = window(&play(
                &model,
                &params,
                &phrase(&C_MAJOR),
                &[256],
                24 * BEAT,
                seed,
            ));
            let unheard = window(&play(
                &model,
                &EngineParams::default(),
                &[],
                &[256],
                24 * BEAT,
                seed,
            ));
            assert!(
                answer_f.len() >= 8,
                "{name}: answer of {} notes",
                answer_f.len()
            );
            assert_ne!(answer_f, answer_c, "{name}: two phrases, one answer");
            assert_ne!(answer_f, unheard, "{name}: the phrase changed nothing");
            let f_sharp = PitchClass::of(6).index();
            heard += in_key(&answer_f, f_sharp) / f64::from(seeds);
            other += in_key(&answer_c, f_sharp) / f64::from(seeds);
            free += in_key(&unheard, f_sharp) / f64::from(seeds);
        }
        eprintln!(
            "{name}: in F# major {:.0}% after an F# major phrase, {:.0}% after a C major one, \
             {:.0}% not listening",
            heard * 100.0,
            other * 100.0,
            free * 100.0
        );
        assert!(
            heard > other + 0.3 && heard > free,
            "{name}: {heard:.2} in F# major after F# major, {other:.2} after C major, {free:.2} free"
        );
    }
}

/// The musician plays again during an answer: the answer's notes end at that very sample,
/// nothing of it sounds after, and the next answer comes after the next silence.
#[test]
fn playing_during_an_answer_silences_it_at_that_sample() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let params = listening(1.0, AnswerLength::UntilIPlay);
        let mut input = phrase(&C_MAJOR);
        // The answer starts at beat 6; cut it mid-note, at an odd sample, with a chord.
        let cut = 9 * BEAT + 4_321;
        input.extend([Played(cut, BEAT, 72), Played(cut + 100, BEAT, 76)]);
        for sizes in [&[512u32][..], &[4096], &[1, 333, 2048, 17]] {
            let out = play(&model, &params, &input, sizes, 20 * BEAT, 3);
            let before: Vec<_> = out.iter().filter(|(t, _)| *t < cut).cloned().collect();
            assert!(
                onsets(&before).len() >= 3,
                "{name}: the answer did not start"
            );
            let at_cut: Vec<_> = out.iter().filter(|(t, _)| *t == cut).cloned().collect();
            assert_eq!(
                at_cut.len(),
                hanging(&before),
                "{name} {sizes:?}: the cut ends exactly the sounding notes"
            );
            assert!(at_cut.iter().all(|(_, e)| e.velocity().is_none()));
            // Silent while the chord is held, then answers on the beat after 1 beat of silence.
            let next = onsets(&out)
                .into_iter()
                .find(|(t, _)| *t > cut)
                .expect("a second answer")
                .0;
            assert_eq!(next, 12 * BEAT, "{name} {sizes:?}");
            assert!(!out.iter().any(|(t, _)| (cut + 1..next).contains(t)));
        }
    }
}

/// The same input at the same samples gives the same music, whatever the buffer sizes:
/// chords, the silence, answers and cuts alike.
#[test]
fn any_buffer_sizes_play_the_same_answer() {
    for name in ["irish", "bach"] {
        let model = shipped(name);
        let params = listening(0.5, AnswerLength::Bars(2));
        let mut input = phrase(&F_SHARP_MAJOR);
        // A struck chord (notes 5 ms apart), during the first answer, then a second phrase.
        input.extend([
            Played(7 * BEAT + 999, BEAT / 3, 61),
            Played(7 * BEAT + 1_239, BEAT / 3, 66),
            Played(7 * BEAT + 1_000, BEAT / 3, 70),
        ]);
        input.extend(
            phrase(&C_MAJOR)
                .into_iter()
                .map(|p| Played(p.0 + 20 * BEAT, p.1, p.2)),
        );
        // (sample, pitch, velocity or None for a note-off): the offsets within buffers aside.
        let timeline = |events: Vec<(i64, EngineEvent)>| -> Vec<(i64, u8, Option<u8>)> {
            events
                .iter()
                .map(|(t, e)| (*t, e.pitch(), e.velocity()))
                .collect()
        };
        let reference = timeline(play(&model, &params, &input, &[64], 40 * BEAT, 11));
        assert!(reference.len() > 24, "{name}");
        for sizes in [&[4096u32][..], &[1, 333, 2048, 17], &[127, 4000, 5]] {
            let out = timeline(play(&model, &params, &input, sizes, 40 * BEAT, 11));
            assert_eq!(out, reference, "{name}: {sizes:?}");
        }
    }
}

/// With Listen off, the musician's notes change nothing.
#[test]
fn listen_off_ignores_the_input() {
    let model = shipped("irish");
    let params = EngineParams::default();
    let input = phrase(&C_MAJOR);
    let alone = play(&model, &params, &[], &[300], 12 * BEAT, 5);
    assert!(onsets(&alone).len() > 10);
    assert_eq!(play(&model, &params, &input, &[300], 12 * BEAT, 5), alone);
}
