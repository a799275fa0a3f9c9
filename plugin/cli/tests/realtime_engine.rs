//! The engine on a simulated transport, without any plugin framework: timing, determinism
//! across buffer sizes, transport handling, and no heap allocation while processing.

mod common;

use deepmidi_cli::corpus::Meter;
use deepmidi_cli::harmony::{PitchClass, PitchLock, Scale};
use deepmidi_cli::realtime::{
    AnswerLength, Engine, EngineEvent, EngineParams, Listening, Transport,
};
use deepmidi_cli::tokens::TokenMode;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread while `COUNTING` is set.
struct CountingAlloc;
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNTING.try_with(|c| {
            if c.get() {
                ALLOCATIONS.with(|a| a.set(a.get() + 1));
            }
        });
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNTING.try_with(|c| {
            if c.get() {
                ALLOCATIONS.with(|a| a.set(a.get() + 1));
            }
        });
        System.realloc(ptr, layout, new_size)
    }
}
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SR: f64 = 48_000.0;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Captured {
    at: i64,
    on: bool,
    pitch: u8,
}

/// Plays `seconds` at 120 BPM from beat 0 with the given buffer sizes; returns absolute events.
fn run(
    engine: &mut Engine,
    params: &EngineParams,
    seconds: f64,
    mut sizes: impl FnMut() -> u32,
) -> Vec<Captured> {
    let total = (seconds * SR) as i64;
    let mut pos = 0i64;
    let mut events = Vec::new();
    while pos < total {
        let n = sizes().min((total - pos) as u32).max(1);
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some(pos as f64 / SR * 2.0),
            meter: Some(Meter::COMMON_TIME),
            ..Default::default()
        };
        let start = events.len();
        engine.process(n, &transport, params, &mut |e| match e {
            EngineEvent::NoteOn { sample, pitch, .. } => events.push(Captured {
                at: pos + i64::from(sample),
                on: true,
                pitch,
            }),
            EngineEvent::NoteOff { sample, pitch, .. } => events.push(Captured {
                at: pos + i64::from(sample),
                on: false,
                pitch,
            }),
        });
        for w in events[start..].windows(2) {
            assert!(w[0].at <= w[1].at, "out of order in a buffer");
        }
        for e in &events[start..] {
            assert!(
                e.at >= pos && e.at < pos + i64::from(n),
                "event outside its buffer"
            );
        }
        pos += i64::from(n);
    }
    events
}

fn tiny_engine(dir: &std::path::Path, mode: TokenMode) -> Engine {
    let sub = if mode == TokenMode::Split {
        "bach"
    } else {
        "irish"
    };
    let (model, _) = common::tiny_model(dir, sub, mode, 30);
    Engine::new(&model, SR, 7).unwrap()
}

#[test]
fn same_seed_same_events_whatever_the_buffer_sizes() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [TokenMode::Chord, TokenMode::Split] {
        let params = EngineParams {
            temperature: 1.0,
            ..Default::default()
        };
        let sub = if mode == TokenMode::Split {
            "bach"
        } else {
            "irish"
        };
        let (model, _) = common::tiny_model(&dir.path().join(format!("{mode:?}")), sub, mode, 30);
        let mut results = Vec::new();
        for sizes in 0..3 {
            let mut engine = Engine::new(&model, SR, 7).unwrap();
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
            let events = run(&mut engine, &params, 30.0, || match sizes {
                0 => 32,
                1 => 512,
                _ => rng.random_range(1..=4096),
            });
            results.push(events);
        }
        assert!(
            results[0].len() > 50,
            "{mode:?}: only {} events",
            results[0].len()
        );
        assert_eq!(results[0], results[1], "{mode:?}: 32 vs 512");
        assert_eq!(results[0], results[2], "{mode:?}: 32 vs random");
    }
}

#[test]
fn onsets_sit_on_the_grid_and_every_note_ends() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = tiny_engine(dir.path(), TokenMode::Chord);
    let params = EngineParams {
        temperature: 1.0,
        tempo_scale: 1.5,
        ..Default::default()
    };
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(8);
    let events = run(&mut engine, &params, 60.0, || rng.random_range(1..=4096));
    // One grid step at tempo scale 1.5 = 1.5/24 beat; at 120 BPM a beat is 24000 samples.
    let step_samples = 24_000.0 * 1.5 / 24.0;
    let mut sounding = [false; 128];
    for e in &events {
        if e.on {
            let steps = e.at as f64 / step_samples;
            assert!(
                (steps - steps.round()).abs() * step_samples <= 1.0,
                "onset at {} is off the grid",
                e.at
            );
            assert!(
                !sounding[e.pitch as usize],
                "pitch {} struck twice without a note-off",
                e.pitch
            );
        } else {
            assert!(sounding[e.pitch as usize], "note-off without note-on");
        }
        sounding[e.pitch as usize] = e.on;
    }
    // Stop: everything still sounding ends in that same buffer.
    let stopped = Transport {
        playing: false,
        tempo_bpm: Some(120.0),
        position_beats: Some(120.0),
        ..Default::default()
    };
    let mut offs = 0;
    engine.process(256, &stopped, &params, &mut |e| {
        assert!(matches!(e, EngineEvent::NoteOff { .. }));
        offs += 1;
    });
    assert_eq!(offs, sounding.iter().filter(|s| **s).count());
    assert_eq!(engine.sounding_notes(), 0);
}

#[test]
fn loop_jump_and_tempo_change_leave_no_stuck_notes() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = tiny_engine(dir.path(), TokenMode::Chord);
    let params = EngineParams {
        temperature: 1.0,
        gate: 1.0,
        ..Default::default()
    };
    let mut sounding = [false; 128];
    let mut track = |e: EngineEvent| match e {
        EngineEvent::NoteOn { pitch, .. } => sounding[pitch as usize] = true,
        EngineEvent::NoteOff { pitch, .. } => sounding[pitch as usize] = false,
    };
    let mut beat = 0.0;
    let mut bpm = 120.0;
    for i in 0..4000 {
        if i == 1500 {
            bpm = 90.0; // tempo change mid-stream
        }
        if i % 700 == 699 {
            beat = 8.0; // loop back
        }
        let t = Transport {
            playing: true,
            tempo_bpm: Some(bpm),
            position_beats: Some(beat),
            ..Default::default()
        };
        engine.process(300, &t, &params, &mut track);
        beat += 300.0 / SR * bpm / 60.0;
    }
    let stop = Transport {
        playing: false,
        tempo_bpm: Some(bpm),
        position_beats: Some(beat),
        ..Default::default()
    };
    engine.process(64, &stop, &params, &mut track);
    assert_eq!(sounding.iter().filter(|s| **s).count(), 0);
}

#[test]
fn temperature_zero_repeats_and_heat_raises_entropy() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 40);
    let entropy_at = |temperature: f32, seed: u64| {
        let mut engine = Engine::new(&model, SR, seed).unwrap();
        let params = EngineParams {
            temperature,
            ..Default::default()
        };
        let ev = run(&mut engine, &params, 60.0, || 1024);
        let mut hist = [0f64; 128];
        for e in ev.iter().filter(|e| e.on) {
            hist[e.pitch as usize] += 1.0;
        }
        let n: f64 = hist.iter().sum();
        let h: f64 = hist
            .iter()
            .filter(|c| **c > 0.0)
            .map(|c| -(c / n) * (c / n).ln())
            .sum();
        (ev, h)
    };
    let (a, h0) = entropy_at(0.0, 1);
    let (b, _) = entropy_at(0.0, 1);
    assert_eq!(a, b);
    let (_, h_hot) = entropy_at(1.5, 1);
    assert!(h_hot > h0 + 0.1, "entropy {h0} at 0, {h_hot} at 1.5");
}

#[test]
fn free_runs_without_transport() {
    let dir = tempfile::tempdir().unwrap();
    let mut engine = tiny_engine(dir.path(), TokenMode::Chord);
    let mut ons = 0;
    for _ in 0..500 {
        engine.process(
            480,
            &Transport::default(),
            &EngineParams::default(),
            &mut |e| {
                ons += usize::from(matches!(e, EngineEvent::NoteOn { .. }));
            },
        );
    }
    assert!(ons > 5, "{ons} notes in 5 s of free-running");
}

#[test]
fn processing_a_minute_allocates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [TokenMode::Chord, TokenMode::Split] {
        let mut engine = tiny_engine(&dir.path().join(format!("{mode:?}")), mode);
        // Unlocked, then locks that change every few seconds: a keyed scale (tonic primer,
        // pull, mask), a range the model cannot reach (the fallback), a new root (a redraw).
        let locks = [
            PitchLock::default(),
            PitchLock::new(Scale::Dorian, PitchClass::of(2), 55, 80),
            PitchLock::new(Scale::Major, PitchClass::of(0), 127, 127),
            PitchLock::new(Scale::Dorian, PitchClass::of(5), 0, 127),
        ];
        let params_of = |lock| EngineParams {
            temperature: 1.0,
            rhythm_temperature: 0.5,
            lock,
            ..Default::default()
        };
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2);
        let sizes: Vec<u32> = (0..20_000).map(|_| rng.random_range(1..=512)).collect();
        // The musician: a chord or a note struck every 160 buffers and let go 20 later, heard
        // in two of every three 4-second stretches (answering in between), built before
        // counting as a host's event list is.
        let input: Vec<Vec<EngineEvent>> = (0..sizes.len())
            .map(|i| {
                let pitches = [48 + (i / 40 % 24) as u8, 55, 64];
                let notes = if i % 480 < 160 {
                    &pitches[..]
                } else {
                    &pitches[..1]
                };
                notes
                    .iter()
                    .map(|&pitch| match i % 160 {
                        0 => EngineEvent::NoteOn {
                            sample: 0,
                            pitch,
                            velocity: 80,
                            channel: 0,
                        },
                        _ => EngineEvent::NoteOff {
                            sample: 0,
                            pitch,
                            channel: 0,
                        },
                    })
                    .filter(|_| i % 160 == 0 || i % 160 == 20)
                    .collect()
            })
            .collect();
        let listening = [
            Some(Listening::default()),
            None,
            Some(Listening {
                answer_after: 0.5,
                answer_length: AnswerLength::UntilIPlay,
            }),
        ];
        let (mut events, mut answered) = (0usize, 0usize);
        let mut pos = 0u64;
        ALLOCATIONS.with(|a| a.set(0));
        COUNTING.with(|c| c.set(true));
        for (i, &n) in sizes.iter().enumerate() {
            if pos as f64 > 60.0 * SR {
                break;
            }
            let playing = i % 5000 != 4999; // a stop now and then
            let t = Transport {
                playing,
                tempo_bpm: Some(120.0),
                position_beats: Some(pos as f64 / SR * 2.0),
                ..Default::default()
            };
            let stretch = (pos / (4 * SR as u64)) as usize;
            let params = EngineParams {
                listen: listening[stretch % listening.len()],
                ..params_of(locks[stretch % locks.len()])
            };
            let answers = &mut answered;
            engine.process_with_input(n, &t, &params, &input[i], &mut |_| {
                events += 1;
                *answers += usize::from(params.listen.is_some());
            });
            pos += u64::from(n);
        }
        engine.reset(3, &mut |_| events += 1);
        engine.all_notes_off(0, &mut |_| events += 1);
        COUNTING.with(|c| c.set(false));
        assert!(events > 100);
        assert!(answered > 20, "{mode:?}: {answered} events while listening");
        assert_eq!(
            ALLOCATIONS.with(|a| a.get()),
            0,
            "{mode:?}: allocations inside process"
        );
    }
}

/// How a host reports its position in beats.
#[derive(Debug, Clone, Copy)]
enum HostPosition {
    Exact,
    /// Rounded to 1/n beat (Ardour: 1920), with the sample position given exactly.
    Ticks(f64),
    /// Rounded to 1/n beat, and no position in seconds or samples.
    TicksOnly(f64),
    /// Derived from whole samples.
    WholeSamples,
}

impl HostPosition {
    fn transport(self, beats: f64, samples: i64, bpm: f64) -> Transport {
        let (position_beats, position_seconds) = match self {
            HostPosition::Exact => (beats, Some(samples as f64 / SR)),
            HostPosition::Ticks(n) => ((beats * n).round() / n, Some(samples as f64 / SR)),
            HostPosition::TicksOnly(n) => ((beats * n).round() / n, None),
            HostPosition::WholeSamples => {
                let spb = SR * 60.0 / bpm;
                ((beats * spb).round() / spb, None)
            }
        };
        Transport {
            playing: true,
            tempo_bpm: Some(bpm),
            position_beats: Some(position_beats),
            position_seconds,
            meter: Some(Meter::COMMON_TIME),
            ..Default::default()
        }
    }
}

/// A host timeline at a constant tempo: starts at `from_beat` (negative for a count-in) and,
/// with a loop, splits the buffer at the loop end and jumps to its start, as Ardour does.
/// Returns the events with absolute sample times, and the times at which the host jumped.
fn run_host(
    engine: &mut Engine,
    params: &EngineParams,
    host: HostPosition,
    bpm: f64,
    from_beat: f64,
    loop_beats: Option<(f64, f64)>,
    seconds: f64,
    mut sizes: impl FnMut() -> u32,
) -> (Vec<Captured>, Vec<i64>) {
    let spb = SR * 60.0 / bpm;
    let total = (seconds * SR) as i64;
    let (mut clock, mut jumps, mut events) = (0i64, Vec::new(), Vec::new());
    // The song position in samples from beat 0, as hosts count it.
    let mut song = (from_beat * spb).round() as i64;
    while clock < total {
        let mut n = i64::from(sizes()).min(total - clock).max(1);
        if let Some((_, end)) = loop_beats {
            let end = (end * spb).round() as i64;
            if song < end {
                n = n.min(end - song);
            }
        }
        let mut t = host.transport(song as f64 / spb, song, bpm);
        t.loop_beats = loop_beats;
        engine.process(n as u32, &t, params, &mut |e| {
            events.push(match e {
                EngineEvent::NoteOn { sample, pitch, .. } => Captured {
                    at: clock + i64::from(sample),
                    on: true,
                    pitch,
                },
                EngineEvent::NoteOff { sample, pitch, .. } => Captured {
                    at: clock + i64::from(sample),
                    on: false,
                    pitch,
                },
            })
        });
        clock += n;
        song += n;
        if let Some((start, end)) = loop_beats {
            if song == (end * spb).round() as i64 {
                song = (start * spb).round() as i64;
                jumps.push(clock);
            }
        }
    }
    (events, jumps)
}

/// Checks that `got` has the same notes as `want`: same pitches in the same order, note-ons
/// and note-offs within `tolerance` samples.
fn assert_same_notes(want: &[Captured], got: &[Captured], tolerance: i64, what: &str) {
    assert!(
        want.iter().filter(|e| e.on).count() > 20,
        "{what}: too few notes"
    );
    assert_eq!(want.len(), got.len(), "{what}: event counts differ");
    for (w, g) in want.iter().zip(got) {
        assert!(
            w.on == g.on && w.pitch == g.pitch && (w.at - g.at).abs() <= tolerance,
            "{what}: expected {w:?}, got {g:?}"
        );
    }
}

#[test]
fn rounded_host_positions_play_exactly_the_notes_of_exact_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 30);
    let mut params = EngineParams::default();
    params.temperature = 1.0;
    let play = |host: HostPosition, bpm: f64, sizes: &mut dyn FnMut() -> u32| {
        let mut engine = Engine::new(&model, SR, 3).unwrap();
        run_host(&mut engine, &params, host, bpm, 0.0, None, 40.0, sizes).0
    };
    for bpm in [120.0, 93.0, 140.5] {
        let exact = play(HostPosition::Exact, bpm, &mut || 512);
        for host in [
            HostPosition::Ticks(1920.0),
            HostPosition::Ticks(960.0),
            HostPosition::TicksOnly(1920.0),
            HostPosition::TicksOnly(480.0),
            HostPosition::WholeSamples,
        ] {
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(bpm as u64);
            let mut random = || rng.random_range(1..=4096);
            let sizes: [&mut dyn FnMut() -> u32; 4] =
                [&mut || 32, &mut || 1024, &mut || 4096, &mut random];
            for (i, size) in sizes.into_iter().enumerate() {
                let got = play(host, bpm, size);
                assert_same_notes(
                    &exact,
                    &got,
                    1,
                    &format!("{host:?} at {bpm} BPM, sizes {i}"),
                );
            }
        }
    }
}

#[test]
fn a_count_in_starts_the_stream_at_beat_zero() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 30);
    let params = EngineParams::default();
    for host in [HostPosition::Exact, HostPosition::Ticks(1920.0)] {
        let mut engine = Engine::new(&model, SR, 3).unwrap();
        let (from_zero, _) = run_host(&mut engine, &params, host, 120.0, 0.0, None, 30.0, || 700);
        let mut engine = Engine::new(&model, SR, 3).unwrap();
        let (count_in, _) = run_host(&mut engine, &params, host, 120.0, -4.0, None, 32.0, || 700);
        // Four beats of count-in at 120 BPM: two seconds of silence, then the same music.
        assert_eq!(count_in.first().map(|e| e.at), Some(96_000), "{host:?}");
        let shifted: Vec<Captured> = count_in
            .iter()
            .map(|e| Captured {
                at: e.at - 96_000,
                ..*e
            })
            .filter(|e| e.at < 30 * 48_000)
            .collect();
        let common = shifted.len().min(from_zero.len()) - 4;
        assert_same_notes(&from_zero[..common], &shifted[..common], 0, "count-in");
    }
}

#[test]
fn notes_end_at_the_loop_end_before_the_host_jumps() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 30);
    // Long notes, so some always sound across the loop end.
    let mut params = EngineParams::default();
    (params.gate, params.tempo_scale) = (1.0, 2.0);
    for host in [HostPosition::Exact, HostPosition::Ticks(1920.0)] {
        let mut engine = Engine::new(&model, SR, 5).unwrap();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(4);
        let (events, jumps) = run_host(
            &mut engine,
            &params,
            host,
            120.0,
            0.0,
            Some((4.0, 9.0)),
            60.0,
            || rng.random_range(32..=2048),
        );
        assert!(jumps.len() >= 10, "{host:?}: {} loop jumps", jumps.len());
        // Notes sounding at a jump end in the buffer before it, on its last sample.
        let cut = events
            .iter()
            .filter(|e| !e.on && jumps.contains(&(e.at + 1)))
            .count();
        for &j in &jumps {
            let before: Vec<&Captured> = events.iter().filter(|e| e.at < j).collect();
            let mut on = [false; 128];
            for e in before {
                on[e.pitch as usize] = e.on;
            }
            assert!(
                on.iter().all(|s| !s),
                "{host:?}: notes still sound at the jump at sample {j}"
            );
            // After the jump, the stream starts again on the loop start's beat.
            let first = events.iter().find(|e| e.at >= j && e.on).unwrap();
            assert_eq!(first.at, j, "{host:?}: the first onset after the jump");
        }
        assert!(
            cut >= 5,
            "{host:?}: only {cut} notes were cut at the loop end"
        );
    }
}

#[test]
fn jitter_below_the_rounding_tolerance_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 30);
    let params = EngineParams::default();
    let play = |jitter: f64| {
        let mut engine = Engine::new(&model, SR, 9).unwrap();
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut events = Vec::new();
        let mut pos = 0i64;
        while pos < 30 * 48_000 {
            // Beats only (no clock to correct them); the first position is exact: it places
            // the anchor.
            let mut t = HostPosition::TicksOnly(1e12).transport(pos as f64 / 24_000.0, pos, 120.0);
            if pos > 0 {
                t.position_beats = t
                    .position_beats
                    .map(|b| b + jitter * rng.random_range(-1.0..1.0));
            }
            engine.process(256, &t, &params, &mut |e| events.push((pos, e)));
            pos += 256;
        }
        events
    };
    assert_eq!(
        play(0.0),
        play(deepmidi_cli::realtime::ROUNDING_BEATS * 0.9)
    );
}
