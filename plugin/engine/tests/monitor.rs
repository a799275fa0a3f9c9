//! The monitor end to end: the player feeding a window on another thread without
//! allocating on the audio thread, and the window keeping what it saw as a MIDI file.

use deepmidi_engine::catalogue::{ModelEntry, ModelSource};
use deepmidi_engine::corpus::read_piece;
use deepmidi_engine::monitor::{
    keep_bars, monitor_channel, KeepBars, NoteHistory, Voice, KEEP_DIR_ENV, MONITOR_CAPACITY,
};
use deepmidi_engine::player::{Player, PlayerControls};
use deepmidi_engine::realtime::{EngineEvent, EngineParams, Listening, Transport};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

/// Counts allocations made by the current thread while `COUNTING` is set.
struct CountingAlloc;
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}
fn count() {
    let _ = COUNTING.try_with(|c| {
        if c.get() {
            ALLOCATIONS.with(|a| a.set(a.get() + 1));
        }
    });
}
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
}
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SR: f64 = 48_000.0;
const FRAMES: u32 = 256;

fn shipped() -> Vec<ModelEntry> {
    let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
    ["irish", "bach"]
        .map(|name| ModelEntry {
            name: name.to_owned(),
            source: ModelSource::Folder(models.join(name)),
        })
        .to_vec()
}

fn controls() -> PlayerControls {
    PlayerControls {
        slot: 0,
        seed: 5,
        reset: false,
        bypass: false,
        thru: true,
        engine: EngineParams::default(),
    }
}

/// The musician's notes of buffer `i`: a note struck every 100 buffers and let go 30
/// later, built before counting as a host's event list is.
fn input(buffers: usize) -> Vec<Vec<EngineEvent>> {
    (0..buffers)
        .map(|i| {
            let pitch = 48 + (i / 100 % 12) as u8;
            match i % 100 {
                0 => vec![EngineEvent::NoteOn {
                    sample: 17,
                    pitch,
                    velocity: 70,
                    channel: 1,
                }],
                30 => vec![EngineEvent::NoteOff {
                    sample: 3,
                    pitch,
                    channel: 1,
                }],
                _ => Vec::new(),
            }
        })
        .collect()
}

/// A minute of playing with the window open on another thread: stops, a locate, a model
/// switch, bypass, Listen, Thru, and the queue overflowing while the window sleeps. The
/// audio thread allocates nothing.
///
/// The test plays far faster than real time, so the window's pace is the test's: it drains
/// whenever it is awake, the player waits for a drain every 8 buffers while it is (as a
/// real-time host leaves the window time to run), and it sleeps through 2,000 buffers, far
/// more than the queue holds. Paced by time instead, what the window saw depended on how
/// fast the machine played.
#[test]
fn playing_to_an_open_window_allocates_nothing() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let buffers = (60.0 * SR / f64::from(FRAMES)) as usize;
    let asleep_during = buffers / 4..buffers / 4 + 2_000;
    let input = input(buffers);
    let mut player = Player::new(5);
    player.activate(&shipped(), SR, &controls(), &mut |m| panic!("{m}"));
    let (mut monitor, mut window) = monitor_channel(512);
    window.set_open(true);
    let (asleep, done, drains) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
    );
    let watcher = std::thread::spawn({
        let (asleep, done, drains) = (asleep.clone(), done.clone(), drains.clone());
        move || {
            let mut history = NoteHistory::new();
            let mut seen = 0usize;
            loop {
                let finished = done.load(Ordering::Acquire);
                if !asleep.load(Ordering::Acquire) || finished {
                    window.drain(|e| {
                        seen += 1;
                        history.add(e);
                    });
                    drains.fetch_add(1, Ordering::Release);
                }
                if finished {
                    break;
                }
                std::thread::yield_now();
            }
            (history, seen)
        }
    });
    // Waits (without allocating) until the window has drained once more.
    let wait_for_a_drain = || {
        let before = drains.load(Ordering::Acquire);
        while drains.load(Ordering::Acquire) == before {
            std::thread::yield_now();
        }
    };

    let (mut position, mut sent) = (0.0f64, 0usize);
    ALLOCATIONS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    for (i, notes) in input.iter().enumerate() {
        asleep.store(asleep_during.contains(&i), Ordering::Release);
        if i % 8 == 0 && !asleep_during.contains(&i) {
            wait_for_a_drain();
        }
        let mut c = controls();
        c.slot = usize::from(i > buffers / 2);
        c.bypass = i % 3000 > 2900;
        c.engine.listen = (i % 4000 > 3000).then(Listening::default);
        if i == buffers / 3 {
            position = 3.25; // a locate back
        }
        let transport = Transport {
            playing: i % 5000 < 4900,
            tempo_bpm: Some(120.0),
            position_beats: Some(position),
            ..Default::default()
        };
        player.process(
            FRAMES,
            &transport,
            &c,
            notes,
            Some(&mut monitor),
            &mut |_| {
                sent += 1;
                true
            },
        );
        position += f64::from(FRAMES) / SR * 2.0;
    }
    COUNTING.with(|c| c.set(false));
    let allocations = ALLOCATIONS.with(|a| a.get());
    done.store(true, Ordering::Release);
    let (history, seen) = watcher.join().unwrap();
    assert_eq!(allocations, 0, "allocations on the audio thread");
    assert!(sent > 100, "{sent} events sent");
    assert!(monitor.dropped() > 0, "the sleeping window lost nothing");
    assert!(seen > 1_000, "the window saw {seen} events");
    let voices = |v| history.notes().iter().filter(|n| n.voice == v).count();
    assert!(voices(Voice::Played) > 10 && voices(Voice::Heard) > 0);
}

/// What the window saw of a player, kept as a file in `$DEEPMIDI_KEEP_DIR`: the notes the
/// host took in the last four bars.
#[test]
fn the_window_keeps_the_last_bars_it_saw_as_a_file() {
    let mut player = Player::new(5);
    player.activate(&shipped(), SR, &controls(), &mut |m| panic!("{m}"));
    let (mut monitor, mut window) = monitor_channel(MONITOR_CAPACITY);
    window.set_open(true);
    let mut history = NoteHistory::new();
    // (absolute beat, on) of every note the host took.
    let mut took = Vec::new();
    let mut clock = 0u64;
    // 26 beats in 3/4 at 120 BPM: the playhead in the ninth bar.
    while (clock as f64) < 26.0 * SR / 2.0 {
        let beat = clock as f64 / SR * 2.0;
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some(beat),
            bar_start_beats: Some(0.0),
            meter: "3/4".parse().ok(),
            ..Default::default()
        };
        player.process(
            FRAMES,
            &transport,
            &controls(),
            &[],
            Some(&mut monitor),
            &mut |e| {
                took.push((
                    (clock + u64::from(e.sample())) as f64 / SR * 2.0,
                    e.velocity().is_some(),
                ));
                true
            },
        );
        clock += u64::from(FRAMES);
        window.drain(|e| history.add(e));
    }
    assert!(matches!(
        history.meter().map(|m| m.to_string()).as_deref(),
        Some("3/4")
    ));
    // Bars of 3 beats: the last four complete ones before beat 26 are 12–24.
    assert_eq!(history.last_bars(4), Some((12.0, 24.0)));
    // Notes land within half a sample of their beats: a note within half a tick of a bar
    // line is on it.
    let hair = 0.5 / 960.0;
    let ons_kept = took
        .iter()
        .filter(|(beat, on)| *on && *beat >= 12.0 - hair && *beat < 24.0 - hair)
        .count();
    assert!(ons_kept > 4, "{ons_kept} notes in four bars");

    let dir = tempfile::tempdir().unwrap();
    let keep_dir = dir.path().join("kept");
    std::env::set_var(KEEP_DIR_ENV, &keep_dir);
    let first = keep_bars(&history, KeepBars::Four, "irish (user)").unwrap();
    let second = keep_bars(&history, KeepBars::Four, "irish (user)").unwrap();
    std::env::remove_var(KEEP_DIR_ENV);
    assert_ne!(first, second, "a second keep overwrote the first");
    let name = first.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("deepmidi-irish--user-") && name.ends_with("-4bars.mid"),
        "{name}"
    );
    assert_eq!(first.parent(), Some(keep_dir.as_path()));
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(bytes, std::fs::read(&second).unwrap());
    let piece = read_piece(&bytes).unwrap();
    assert_eq!(piece.note_count(), ons_kept);
    assert!(piece.end_tick <= 12 * 960);
    // Nothing of the musician's: they played nothing, and nothing but DeepMIDI's is kept.
    assert!(history.notes().iter().all(|n| n.voice == Voice::Played));
}
