//! Reading the shared corpus, checked against an independent count made here with midly.

mod common;

use deepmidi_cli::corpus::read_corpus;
use deepmidi_cli::tokens::{piece_streams, OffsetGrid, TokenMode};
use midly::{MidiMessage, Smf, TrackEventKind};
use std::collections::{BTreeMap, BTreeSet};

/// Independent count: (files, note-ons, distinct (tick, pitch) notes, onsets, chords).
fn count_with_midly(dir: &std::path::Path) -> (usize, usize, usize, usize, usize) {
    let (mut files, mut note_ons, mut notes, mut onsets, mut chords) = (0, 0, 0, 0, 0);
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("mid") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let smf = Smf::parse(&bytes).unwrap();
        let mut by_tick: BTreeMap<u64, BTreeSet<u8>> = BTreeMap::new();
        for track in &smf.tracks {
            let mut tick = 0u64;
            for ev in track {
                tick += u64::from(ev.delta.as_int());
                if let TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOn { key, vel },
                } = ev.kind
                {
                    if vel > 0 && channel != 9 {
                        note_ons += 1;
                        by_tick.entry(tick).or_default().insert(key.as_int());
                    }
                }
            }
        }
        files += 1;
        onsets += by_tick.len();
        chords += by_tick.values().filter(|p| p.len() > 1).count();
        notes += by_tick.values().map(|p| p.len()).sum::<usize>();
    }
    (files, note_ons, notes, onsets, chords)
}

#[test]
fn shared_corpus_matches_independent_count() {
    // Note-on totals from the corpus README (counted there with mido).
    for (sub, readme_files, readme_note_ons) in [("irish", 724, 148_453), ("bach", 314, 89_586)] {
        let dir = common::shared_corpus().join(sub);
        let corpus = read_corpus(&dir).unwrap();
        assert!(corpus.skipped.is_empty(), "{sub}: {:?}", corpus.skipped);
        let (files, note_ons, notes, onsets, chords) = count_with_midly(&dir);
        assert_eq!(
            (files, note_ons),
            (readme_files, readme_note_ons),
            "{sub}: independent count vs README"
        );
        assert_eq!(corpus.pieces.len(), files, "{sub} files");
        let ours_notes: usize = corpus.pieces.iter().map(|(_, p)| p.note_count()).sum();
        let ours_onsets: usize = corpus.pieces.iter().map(|(_, p)| p.onsets.len()).sum();
        let ours_chords: usize = corpus
            .pieces
            .iter()
            .map(|(_, p)| p.onsets.iter().filter(|o| o.pitches.len() > 1).count())
            .sum();
        assert_eq!(
            (ours_notes, ours_onsets, ours_chords),
            (notes, onsets, chords),
            "{sub} notes/onsets/chords"
        );
        if sub == "bach" {
            assert!(
                chords * 2 > onsets,
                "chorales are mostly chords: {chords} of {onsets}"
            );
        }
    }
}

/// The meter each file starts in, read here straight from the time-signature events.
fn first_meters_with_midly(dir: &std::path::Path) -> BTreeMap<String, usize> {
    let mut count = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let smf = Smf::parse(&bytes).unwrap();
        let mut first: Option<(u64, String)> = None;
        for track in &smf.tracks {
            let mut tick = 0u64;
            for ev in track {
                tick += u64::from(ev.delta.as_int());
                if let TrackEventKind::Meta(midly::MetaMessage::TimeSignature(n, d, ..)) = ev.kind {
                    if first.as_ref().is_none_or(|(t, _)| tick < *t) {
                        first = Some((tick, format!("{n}/{}", 1u32 << d)));
                    }
                }
            }
        }
        *count
            .entry(first.map_or("4/4".into(), |(_, m)| m))
            .or_insert(0) += 1;
    }
    count
}

#[test]
fn meters_and_beats_of_the_shared_corpus() {
    for sub in ["irish", "bach"] {
        let dir = common::shared_corpus().join(sub);
        let corpus = read_corpus(&dir).unwrap();
        let mut ours = BTreeMap::new();
        for (_, piece) in &corpus.pieces {
            *ours
                .entry(piece.meters.at(0).meter.to_string())
                .or_insert(0) += 1;
        }
        assert_eq!(ours, first_meters_with_midly(&dir), "{sub}: first meters");
    }
    // The figure: 59% of the chorales' onsets fall on a beat (a quarter note: all
    // of them are in 4/4 or 3/4, but for one in 12/8).
    let bach = read_corpus(&common::shared_corpus().join("bach")).unwrap();
    let grid = OffsetGrid::default();
    let (mut on_beat, mut all) = (0usize, 0usize);
    for (_, piece) in &bach.pieces {
        let streams = piece_streams(piece, &grid, TokenMode::Chord);
        all += streams.positions.len();
        on_beat += streams
            .positions
            .iter()
            .filter(|p| p.step_in_bar % grid.steps_per_quarter == 0)
            .count();
    }
    let share = on_beat as f64 / all as f64;
    assert!(
        (0.57..0.61).contains(&share),
        "{:.3} of onsets on a beat",
        share
    );
}
