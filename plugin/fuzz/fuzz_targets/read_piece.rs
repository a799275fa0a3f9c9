//! `read_piece` on whatever bytes libFuzzer makes up: it must return, never panic, and what
//! it returns must be a well-formed piece.

#![no_main]

use deepmidi_engine::corpus::{read_piece, MAX_CHORD_NOTES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(piece) = read_piece(bytes) {
        assert!(piece.ticks_per_quarter > 0);
        assert!(!piece.onsets.is_empty());
        assert!(piece.onsets.windows(2).all(|w| w[0].tick < w[1].tick));
        for onset in &piece.onsets {
            assert!(!onset.pitches.is_empty() && onset.pitches.len() <= MAX_CHORD_NOTES);
            assert!(onset.pitches.windows(2).all(|p| p[0] < p[1]));
        }
        assert!(piece.end_tick >= piece.onsets.last().map_or(0, |o| o.tick));
    }
});
