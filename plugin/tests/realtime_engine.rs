//! The engine on a simulated transport, without any plugin framework: timing, determinism
//! across buffer sizes, transport handling, and no heap allocation while processing.

mod common;

use deepmidi::realtime::{Engine, EngineEvent, EngineParams, Transport};
use deepmidi::tokens::TokenMode;
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
            bar_start_beats: None,
            beats_per_bar: Some(4.0),
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
        let params = EngineParams {
            temperature: 1.0,
            ..Default::default()
        };
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(2);
        let sizes: Vec<u32> = (0..20_000).map(|_| rng.random_range(1..=512)).collect();
        let mut events = 0usize;
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
            engine.process(n, &t, &params, &mut |_| events += 1);
            pos += u64::from(n);
        }
        engine.reset(3, &mut |_| events += 1);
        engine.all_notes_off(0, &mut |_| events += 1);
        COUNTING.with(|c| c.set(false));
        assert!(events > 100);
        assert_eq!(
            ALLOCATIONS.with(|a| a.get()),
            0,
            "{mode:?}: allocations inside process"
        );
    }
}
