//! The corpus reader against damaged files, unreadable entries and link loops, and
//! `read_piece` against arbitrary bytes: every bad file is skipped with a reason that names
//! it, the good ones are read, and nothing panics.

use deepmidi_cli::corpus::{read_corpus, read_piece, Piece, MAX_CHORD_NOTES};
use midly::num::{u15, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

fn note(delta: u32, channel: u8, key: u8, vel: u8) -> TrackEvent<'static> {
    TrackEvent {
        delta: u28::new(delta),
        kind: TrackEventKind::Midi {
            channel: u4::new(channel),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(vel),
            },
        },
    }
}

fn smf_bytes(timing: Timing, tracks: Vec<Vec<TrackEvent<'static>>>) -> Vec<u8> {
    let format = if tracks.len() == 1 {
        Format::SingleTrack
    } else {
        Format::Parallel
    };
    let mut smf = Smf::new(Header::new(format, timing));
    for mut track in tracks {
        track.push(TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
        });
        smf.tracks.push(track);
    }
    let mut out = Vec::new();
    smf.write_std(&mut out).unwrap();
    out
}

/// A tune over two tracks: `n` melody notes from `first` upwards over a held bass note.
fn tune(first: u8, n: u8) -> Vec<u8> {
    let melody = (0..n)
        .flat_map(|i| [note(0, 0, first + i, 90), note(120, 0, first + i, 0)])
        .collect();
    let bass = vec![
        note(0, 1, first - 12, 70),
        note(120 * u32::from(n), 1, first - 12, 0),
    ];
    smf_bytes(Timing::Metrical(u15::new(240)), vec![melody, bass])
}

/// Deterministic noise (an LCG), so a failure can be reproduced.
fn noise(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        })
        .collect()
}

/// The damaged files, by name, each with a piece of the reason it must be skipped for
/// ("" where any reason will do).
fn damaged_files() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let good = tune(60, 8);
    let mut past_end = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk".to_vec();
    past_end.extend(1000u32.to_be_bytes());
    past_end.extend([0x00, 0x90, 60, 100, 0x60, 60, 0]);
    let mut after_header = good[..14].to_vec();
    after_header.extend(noise(300, 7));
    let mut missing_track = good.clone();
    missing_track[11] = 5; // the header now declares five tracks; the file holds two
    vec![
        (
            "truncated.mid",
            good[..good.len() / 2].to_vec(),
            "truncated",
        ),
        (
            "wrong-magic.mid",
            [b"RIFF".as_slice(), &good[4..]].concat(),
            "not a Standard MIDI File",
        ),
        ("past-end.mid", past_end, "claims 1000 bytes"),
        ("empty.mid", Vec::new(), "not a Standard MIDI File"),
        ("noise-after-header.mid", after_header, ""),
        (
            "smpte.mid",
            smf_bytes(
                Timing::Timecode(midly::Fps::Fps25, 40),
                vec![vec![note(0, 0, 60, 90)]],
            ),
            "SMPTE",
        ),
        (
            "drums-only.midi",
            smf_bytes(
                Timing::Metrical(u15::new(96)),
                vec![vec![note(0, 9, 36, 90)]],
            ),
            "no notes",
        ),
        ("missing-track.mid", missing_track, "declares 5 tracks"),
        ("all-noise.mid", noise(4096, 11), ""),
    ]
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[cfg(unix)]
#[test]
fn damaged_unreadable_and_looping_entries_are_skipped_with_reasons() {
    use std::os::unix::fs::symlink;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("corpus");
    fs::create_dir_all(root.join("reels/more")).unwrap();
    let good: Vec<(PathBuf, Vec<u8>)> = vec![
        (root.join("a-tune.mid"), tune(60, 8)),
        (root.join("reels/b-tune.MID"), tune(62, 12)),
        (root.join("reels/more/c-tune.midi"), tune(55, 5)),
    ];
    for (path, bytes) in &good {
        fs::write(path, bytes).unwrap();
    }
    fs::write(
        root.join("notes.txt"),
        "not a MIDI file, and not named like one",
    )
    .unwrap();
    let mut expected_bad: BTreeMap<PathBuf, &str> = BTreeMap::new();
    for (i, (name, bytes, reason)) in damaged_files().into_iter().enumerate() {
        // Alternate between the top folder and a subfolder.
        let path = if i % 2 == 0 {
            root.join(name)
        } else {
            root.join("reels").join(name)
        };
        fs::write(&path, bytes).unwrap();
        expected_bad.insert(path, reason);
    }
    // A link back to an ancestor folder, and a link to nothing.
    symlink("..", root.join("reels/more/loop")).unwrap();
    expected_bad.insert(root.join("reels/more/loop"), "loop");
    symlink(root.join("nowhere.mid"), root.join("dangling.mid")).unwrap();
    expected_bad.insert(root.join("dangling.mid"), "broken symbolic link to");

    // A file and a folder nobody may read. Root reads them anyway (CI runs tests as root),
    // so whether they are denied is found out by trying, and only asserted where they are.
    let locked_file = root.join("locked.mid");
    fs::write(&locked_file, tune(64, 4)).unwrap();
    let locked_dir = root.join("locked-folder");
    fs::create_dir(&locked_dir).unwrap();
    fs::write(locked_dir.join("hidden.mid"), tune(66, 4)).unwrap();
    set_mode(&locked_file, 0o000);
    set_mode(&locked_dir, 0o000);
    let permissions_enforced = fs::read(&locked_file).is_err();

    let result = std::panic::catch_unwind(|| read_corpus(&root));
    set_mode(&locked_dir, 0o755); // so that the temporary folder can be removed
    let corpus = result
        .expect("read_corpus panicked")
        .expect("read_corpus failed");

    for skipped in &corpus.skipped {
        assert!(
            !skipped.reason.trim().is_empty(),
            "empty reason for {}",
            skipped.path.display()
        );
        let shown = skipped.to_string();
        assert!(
            shown.contains(&skipped.path.display().to_string()) && shown.contains(&skipped.reason),
            "{shown}"
        );
    }
    let mut skipped: BTreeMap<PathBuf, String> = BTreeMap::new();
    for s in &corpus.skipped {
        assert!(
            skipped.insert(s.path.clone(), s.reason.clone()).is_none(),
            "{} skipped twice",
            s.path.display()
        );
    }
    if permissions_enforced {
        expected_bad.insert(locked_file.clone(), "denied");
        expected_bad.insert(locked_dir.clone(), "denied");
    } else {
        // Running as root: the locked entries are readable, so they are good pieces.
        assert!(!skipped.contains_key(&locked_file) && !skipped.contains_key(&locked_dir));
    }
    for (path, reason) in &expected_bad {
        let got = skipped
            .get(path)
            .unwrap_or_else(|| panic!("{} not skipped; skipped: {skipped:#?}", path.display()));
        assert!(
            got.to_lowercase().contains(&reason.to_lowercase()),
            "{}: {got:?} lacks {reason:?}",
            path.display()
        );
    }
    let extra: Vec<&PathBuf> = skipped
        .keys()
        .filter(|p| !expected_bad.contains_key(*p))
        .collect();
    assert!(extra.is_empty(), "skipped good entries: {extra:?}");

    let mut expected_good: Vec<PathBuf> = good.iter().map(|(p, _)| p.clone()).collect();
    if !permissions_enforced {
        expected_good.push(locked_file.clone());
        expected_good.push(locked_dir.join("hidden.mid"));
    }
    expected_good.sort();
    let mut read: Vec<PathBuf> = corpus
        .pieces
        .iter()
        .map(|(source, _)| source.path.clone())
        .collect();
    read.sort();
    assert_eq!(read, expected_good);
    for (source, piece) in &corpus.pieces {
        assert_eq!(root.join(&source.relative), source.path);
        let bytes = fs::read(&source.path).unwrap();
        assert_eq!(
            piece,
            &read_piece(&bytes).unwrap(),
            "{}",
            source.path.display()
        );
    }
}

#[test]
fn a_folder_of_only_damaged_files_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes, _) in damaged_files() {
        fs::write(dir.path().join(name), bytes).unwrap();
    }
    let err = read_corpus(dir.path()).unwrap_err();
    assert!(
        err.to_string()
            .contains(&format!("({} skipped)", damaged_files().len())),
        "{err}"
    );
}

/// Found by the property test below: a division word of 0x8000 is SMPTE timing with a frame
/// rate byte of -128, which midly 0.5 negates, overflowing (a panic where overflow checks are
/// on, as in debug builds).
#[test]
fn smpte_division_of_minus_128_frames_is_refused_not_a_panic() {
    for division in [0x8000u16, 0x80ff, 0xe728, 0xffff] {
        let mut bytes = b"MThd\0\0\0\x06\0\x00\0\x01".to_vec();
        bytes.extend(division.to_be_bytes());
        bytes.extend(b"MTrk\0\0\0\x04\0\xff\x2f\0");
        let result = std::panic::catch_unwind(|| read_piece(&bytes));
        assert!(
            result.expect("read_piece panicked").is_err(),
            "division {division:#06x}"
        );
    }
}

/// What every piece read from any bytes must satisfy.
fn check_piece(piece: &Piece) {
    assert!(piece.ticks_per_quarter > 0);
    assert!(!piece.onsets.is_empty());
    for pair in piece.onsets.windows(2) {
        assert!(pair[0].tick < pair[1].tick, "onsets out of order");
    }
    for onset in &piece.onsets {
        assert!(!onset.pitches.is_empty() && onset.pitches.len() <= MAX_CHORD_NOTES);
        assert!(
            onset.pitches.windows(2).all(|p| p[0] < p[1]),
            "pitches not sorted and distinct"
        );
        assert!(onset.pitches.iter().all(|&p| p <= 127));
    }
    assert!(piece.end_tick >= piece.onsets.last().unwrap().tick);
}

/// A change to a file's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..32).prop_map(|(i, n)| Mutation::Remove(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match m {
        Mutation::Set(i, b) if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            bytes[i] = *b;
        }
        Mutation::Flip(i, b) if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            bytes[i] ^= *b;
        }
        Mutation::Insert(i, new) => {
            let i = at(*i, bytes.len() + 1);
            bytes.splice(i..i, new.iter().copied());
        }
        Mutation::Remove(i, n) if !bytes.is_empty() => {
            let i = at(*i, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Mutation::Truncate(n) => bytes.truncate(at(*n, bytes.len() + 1)),
        _ => {}
    }
}

proptest! {
    // PROPTEST_CASES sets the number of cases (256 by default). A failing case is saved in
    // the file below (relative to plugin/) and tried first on later runs.
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/corpus_robustness.proptest-regressions",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn read_piece_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(piece) = read_piece(&bytes) {
            check_piece(&piece);
        }
    }

    #[test]
    fn read_piece_never_panics_after_a_valid_header(
        tracks in 0u16..4,
        division in any::<u16>(),
        body in prop::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut bytes = b"MThd\0\0\0\x06\0\x01".to_vec();
        bytes.extend(tracks.to_be_bytes());
        bytes.extend(division.to_be_bytes());
        bytes.extend(b"MTrk");
        bytes.extend((body.len() as u32).to_be_bytes());
        bytes.extend(body);
        if let Ok(piece) = read_piece(&bytes) {
            check_piece(&piece);
        }
    }

    #[test]
    fn read_piece_never_panics_on_mutations_of_a_valid_file(
        first in 24u8..100,
        n in 1u8..20,
        mutations in prop::collection::vec(mutation(), 1..8),
    ) {
        let mut bytes = tune(first, n);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        if let Ok(piece) = read_piece(&bytes) {
            check_piece(&piece);
        }
    }
}
