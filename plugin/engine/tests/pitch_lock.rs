//! The pitch lock on the shipped models: no note breaks it, whatever the scale, root or
//! range; a change takes effect at the next onset, leaves no note hanging, and plays the
//! same whatever the host's buffer sizes.

mod common;

use common::{note_ons_from, play, shipped};
use deepmidi_engine::harmony::{PitchClass, PitchLock, Scale};
use deepmidi_engine::model::ModelSet;
use deepmidi_engine::realtime::{Bars, EngineParams, EventGenerator};

const MODELS: [&str; 2] = ["irish", "bach"];
/// Roots a fifth and a tritone apart, away from the corpora's D and G.
const ROOTS: [u8; 3] = [0, 6, 9];

fn lock(scale: Scale, root: u8, lowest: u8, highest: u8) -> PitchLock {
    PitchLock::new(scale, PitchClass::of(root), lowest, highest)
}

/// At least `notes` notes from a fresh stream under `params`, laid into 4/4 bars as
/// `deepmidi generate` lays them.
fn generate(model: &ModelSet, params: &EngineParams, seed: u64, notes: usize) -> Vec<u8> {
    let mut generator = EventGenerator::new(model, seed).unwrap();
    let (grid, steering, bars) = (model.meta.grid, params.steering(), Bars::default());
    let (mut beat, mut pitches) = (0.0, Vec::with_capacity(notes + 16));
    while pitches.len() < notes {
        generator.set_position(bars.position(beat, 1.0, &grid));
        let event = generator.next_event(&steering);
        pitches.extend_from_slice(event.chord.as_slice());
        beat += params.place(&grid, event.offset_steps).gap;
    }
    pitches
}

/// Every lock over both models, each case 10,000 notes; the models in parallel.
fn check_locks(locks: &[(PitchLock, &str)]) {
    std::thread::scope(|scope| {
        for name in MODELS {
            scope.spawn(move || {
                let model = shipped(name);
                for (i, (lock, what)) in locks.iter().enumerate() {
                    let params = EngineParams {
                        temperature: 1.2,
                        lock: *lock,
                        ..EngineParams::default()
                    };
                    let allowed = lock.allowed();
                    let pitches = generate(&model, &params, i as u64, 10_000);
                    let broken: Vec<u8> = pitches
                        .iter()
                        .copied()
                        .filter(|&p| !allowed.contains(p))
                        .collect();
                    assert!(
                        broken.is_empty(),
                        "{name} {what}: {broken:?} break the lock"
                    );
                    // Free choice within the lock, not one stuck note (unless one is allowed).
                    let distinct = allowed.iter().filter(|p| pitches.contains(p)).count();
                    assert!(
                        distinct >= allowed.len().min(3) as usize,
                        "{name} {what}: only {distinct} pitches"
                    );
                }
            });
        }
    });
}

#[test]
fn no_note_breaks_any_scale_at_three_roots() {
    let mut locks = Vec::new();
    for scale in Scale::ALL.into_iter().filter(|s| *s != Scale::Off) {
        for root in ROOTS {
            locks.push((lock(scale, root, 0, 127), format!("{scale} on {root}")));
        }
    }
    let locks: Vec<(PitchLock, &str)> = locks.iter().map(|(l, w)| (*l, w.as_str())).collect();
    check_locks(&locks);
}

#[test]
fn no_note_leaves_a_narrow_range() {
    check_locks(&[
        (lock(Scale::Off, 0, 48, 59), "the octave C3-B3"),
        (lock(Scale::Dorian, 2, 72, 83), "D dorian in C5-B5"),
        (lock(Scale::Off, 0, 64, 64), "the single note E4"),
        (lock(Scale::Major, 0, 64, 64), "E4 in C major"),
        // No note of C major in range: the range holds.
        (lock(Scale::Major, 0, 61, 61), "C#4 in C major"),
        // Far outside what either model knows.
        (lock(Scale::Blues, 9, 110, 121), "A blues in D8-C#9"),
    ]);
}

#[test]
fn a_change_takes_effect_at_the_next_onset_whatever_the_buffers() {
    let switch = 48_000 * 7 + 123;
    let changes = [
        (
            PitchLock::default(),
            lock(Scale::MinorPentatonic, 4, 0, 127),
            "lock on",
        ),
        (
            lock(Scale::Major, 2, 0, 127),
            lock(Scale::Major, 5, 0, 127),
            "root D to F",
        ),
        (
            lock(Scale::Major, 0, 0, 127),
            lock(Scale::Phrygian, 0, 0, 127),
            "major to phrygian",
        ),
        (
            PitchLock::default(),
            lock(Scale::Off, 0, 40, 47),
            "range to E2-B2",
        ),
    ];
    for name in MODELS {
        let model = shipped(name);
        for (from, to, what) in changes {
            let before = EngineParams {
                lock: from,
                ..EngineParams::default()
            };
            let after = EngineParams {
                lock: to,
                ..EngineParams::default()
            };
            let runs: Vec<_> = [&[64u32][..], &[4096], &[1, 333, 2048, 17]]
                .into_iter()
                .map(|sizes| play(&model, &before, &after, switch, sizes, 14.0))
                .collect();
            let ons = note_ons_from(&runs[0], switch);
            assert!(
                ons.len() > 10,
                "{name} {what}: {} notes after the change",
                ons.len()
            );
            let allowed = to.allowed();
            let broken: Vec<_> = ons.iter().filter(|(_, p)| !allowed.contains(*p)).collect();
            assert!(
                broken.is_empty(),
                "{name} {what}: {broken:?} after the change"
            );
            // The first onset after the change was drawn ahead under the old lock with some
            // of these buffer sizes: it is drawn again (or moved into the new lock, when the
            // change came too close to it), the same whatever they were.
            for run in &runs[1..] {
                note_ons_from(run, switch);
                assert_eq!(
                    run, &runs[0],
                    "{name} {what}: the buffers changed the music"
                );
            }
            // Before the change, the old settings played: the notes then differ from a run
            // that had the new ones all along.
            let before_ons = note_ons_from(&runs[0], 0).len() - ons.len();
            assert!(before_ons > 5, "{name} {what}");
        }
    }
}

/// A change that lands on an onset, or too close before it to draw its event anew within the
/// work allowance, plays that onset as the network drew it, moved into the new lock: from D
/// major to F major, every note a minor third up, at the same sample. Nothing before it
/// changes, the notes after it keep the new lock, and the buffers change nothing.
#[test]
fn a_change_on_an_onset_moves_that_onset_into_the_new_lock() {
    let in_key = |root| EngineParams {
        lock: lock(Scale::Major, root, 0, 127),
        ..EngineParams::default()
    };
    let (d, f) = (in_key(2), in_key(5));
    for name in MODELS {
        let model = shipped(name);
        let steady = note_ons_from(&play(&model, &d, &d, i64::MAX, &[64], 10.0), 0);
        let onset = steady
            .iter()
            .find(|(at, _)| *at >= 48_000 * 7)
            .expect("notes after 7 s")
            .0;
        let struck = |ons: &[(i64, u8)]| {
            let mut chord: Vec<u8> = ons.iter().filter(|n| n.0 == onset).map(|n| n.1).collect();
            chord.sort_unstable();
            chord
        };
        let moved: Vec<u8> = struck(&steady).iter().map(|p| p + 3).collect();
        // On the onset's sample, and 2 ms before it.
        for lead in [0, 96] {
            let mut runs = Vec::new();
            for sizes in [&[64u32][..], &[1, 333, 2048, 17]] {
                let ons = note_ons_from(&play(&model, &d, &f, onset - lead, sizes, 10.0), 0);
                let before: Vec<_> = ons.iter().filter(|n| n.0 < onset).collect();
                let steady_before: Vec<_> = steady.iter().filter(|n| n.0 < onset).collect();
                assert_eq!(before, steady_before, "{name}: the change reached back");
                assert_eq!(
                    struck(&ons),
                    moved,
                    "{name}, {lead} samples before the onset"
                );
                let allowed = f.lock.allowed();
                let after: Vec<_> = ons.iter().filter(|n| n.0 > onset).collect();
                assert!(after.len() > 5, "{name}: {} notes after", after.len());
                assert!(
                    after.iter().all(|n| allowed.contains(n.1)),
                    "{name}: {after:?} leave F major"
                );
                runs.push(ons);
            }
            assert_eq!(runs[0], runs[1], "{name}: the buffers changed the music");
        }
    }
}
