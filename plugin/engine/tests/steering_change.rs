//! When a new temperature takes effect. Drawing an onset's event anew close to the onset
//! would be a burst of work in one buffer (every note of a split chord drawn again), so a
//! change takes the next onset only when the work allowance has time to draw it
//! (`budget::seconds_to_earn(MOST_STEPS_PER_EVENT)`, 28 ms); a later one takes the onset
//! after. Either way the music depends only on when the change comes, not on the buffers.

mod common;

use common::{note_ons_from, play, shipped};
use deepmidi_engine::realtime::EngineParams;

const SIZES: [&[u32]; 2] = [&[64], &[1, 333, 2048, 17]];

/// Note-ons as (sample, pitch).
type Ons = Vec<(i64, u8)>;

#[test]
fn a_temperature_change_takes_the_next_onset_it_has_time_to_draw() {
    let cold = EngineParams::default();
    let hot = EngineParams {
        temperature: 2.0,
        ..EngineParams::default()
    };
    for name in ["irish", "bach"] {
        let model = shipped(name);
        // The music heard when the change comes at `switch`, the same for every buffer size.
        let with_change_at = |switch: i64| {
            let runs: Vec<_> = SIZES
                .iter()
                .map(|sizes| note_ons_from(&play(&model, &cold, &hot, switch, sizes, 10.0), 0))
                .collect();
            assert_eq!(runs[0], runs[1], "{name}: the buffers changed the music");
            runs.into_iter().next().unwrap()
        };
        // A change at the end is none.
        let steady = with_change_at(48_000 * 10);
        // The notes up to sample `at`, and those after.
        let split =
            |ons: &[(i64, u8)], at: i64| -> (Ons, Ons) { ons.iter().partition(|n| n.0 <= at) };
        // An onset after 5 s, at least 100 ms after the one before, that temperature 2 draws
        // differently (with the same random number, a peaked choice often is the same): the
        // music with the change right after the onset before (this onset is drawn hot), and
        // right after this one (the onset after is the first drawn hot).
        let (onset, early, after) = steady
            .windows(2)
            .map(|w| (w[0].0, w[1].0))
            .filter(|&(a, b)| b >= 48_000 * 5 && b - a >= 4_800)
            .take(12)
            .map(|(previous, onset)| {
                let (early, after) = (with_change_at(previous + 1), with_change_at(onset + 1));
                (onset, early, after)
            })
            .find(|(onset, early, after)| split(early, *onset - 1).1 != split(after, *onset - 1).1)
            .expect("an onset that temperature 2 draws differently");
        assert_eq!(
            split(&after, onset).0,
            split(&steady, onset).0,
            "{name}: a change after the onset reached back"
        );
        // 30 ms before the onset is in time to draw it anew: as if it came just after the
        // onset before.
        assert_eq!(with_change_at(onset - 1_440), early, "{name}, 30 ms early");
        // 2 ms before the onset, or on it, is not: the onset plays as drawn, and the new
        // temperature draws the next.
        for lead in [96, 0] {
            assert_eq!(
                with_change_at(onset - lead),
                after,
                "{name}, {lead} samples early"
            );
        }
    }
}
