//! What the engine's integration tests share.
// Each test binary compiles this module and uses part of it.
#![allow(dead_code)]

use deepmidi_engine::model::{load_model_set, ModelSet};
use deepmidi_engine::realtime::{Engine, EngineEvent, EngineParams, Transport};
use std::path::PathBuf;

/// A shipped model set, read from the workspace's `models/` folder.
pub fn shipped(name: &str) -> ModelSet {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(name);
    load_model_set(&dir).unwrap_or_else(|e| panic!("shipped model {name}: {e}"))
}

/// A steady 120 BPM transport from beat 0, `frames` per buffer.
pub fn transport(clock: i64) -> Transport {
    Transport {
        playing: true,
        tempo_bpm: Some(120.0),
        position_beats: Some(clock as f64 / 24_000.0),
        ..Default::default()
    }
}

/// (absolute sample, pitch, note-on) over `seconds`, the params switching from `before` to `after`
/// at sample `switch`, in buffers cycling through `sizes`.
pub fn play(
    model: &ModelSet,
    before: &EngineParams,
    after: &EngineParams,
    switch: i64,
    sizes: &[u32],
    seconds: f64,
) -> Vec<(i64, u8, bool)> {
    let mut engine = Engine::new(model, 48_000.0, 5).unwrap();
    let (mut clock, mut events, end) = (0i64, Vec::new(), (seconds * 48_000.0) as i64);
    for &frames in sizes.iter().cycle() {
        if clock >= end {
            break;
        }
        // A buffer never straddles the switch (hosts change parameters between buffers),
        // and every run ends at `end`.
        let until = if clock < switch { switch } else { end };
        let frames = frames.min((until - clock) as u32);
        let params = if clock < switch { before } else { after };
        engine.process(frames, &transport(clock), params, &mut |e| {
            let on = matches!(e, EngineEvent::NoteOn { .. });
            events.push((clock + i64::from(e.sample()), e.pitch(), on))
        });
        clock += i64::from(frames);
    }
    engine.all_notes_off(0, &mut |e| events.push((end, e.pitch(), false)));
    events
}

/// Note-ons of `events` at or after `from`, and whether every note-on was ended once.
pub fn note_ons_from(events: &[(i64, u8, bool)], from: i64) -> Vec<(i64, u8)> {
    let mut sounding = [false; 128];
    let mut ons = Vec::new();
    for &(at, pitch, on) in events {
        let p = usize::from(pitch);
        if on {
            assert!(!sounding[p], "{pitch} started twice at {at}");
            sounding[p] = true;
            if at >= from {
                ons.push((at, pitch));
            }
        } else {
            assert!(sounding[p], "{pitch} ended without starting at {at}");
            sounding[p] = false;
        }
    }
    assert!(sounding.iter().all(|s| !s), "a note hangs");
    ons
}
