//! One Standard MIDI File → the onsets of its notes, merged across tracks.
//!
//! Only onsets matter to the models: the note model sees which pitches start together, the
//! offset model sees the gap to the next start. Durations are not learned, so note-offs are
//! only used to find where the piece ends (the gap after its last onset). Time signatures
//! are kept, to place each onset in its bar.

use super::meter::{Meter, MeterMap};
use midly::{MetaMessage, MidiMessage, Smf, Timing, TrackEventKind};
use std::collections::BTreeMap;

/// General MIDI reserves channel 10 (index 9) for drums, which have no pitch in our sense.
const DRUM_CHANNEL: u8 = 9;

/// A chord larger than this keeps its lowest notes. Real corpora stay far below it (the
/// chorales have at most 16 voices in a handful of files); the cap lets the real-time engine
/// hold any chord in a fixed-size array.
pub const MAX_CHORD_NOTES: usize = 16;

/// Notes that start on the same tick, in any track or channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Onset {
    /// Absolute position in ticks.
    pub tick: u64,
    /// Sorted, distinct MIDI pitches; never empty.
    pub pitches: Vec<u8>,
}

/// The onsets of one file, in time order.
#[derive(Debug, Clone, PartialEq)]
pub struct Piece {
    pub ticks_per_quarter: u16,
    pub onsets: Vec<Onset>,
    /// The last tick at which a note sounds or starts: the end of the last note.
    pub end_tick: u64,
    /// The time signatures, from every track.
    pub meters: MeterMap,
}

impl Piece {
    /// Position of a tick in quarter notes. Tempo changes do not move quarter-note positions.
    pub fn quarters(&self, tick: u64) -> f64 {
        tick as f64 / f64::from(self.ticks_per_quarter)
    }

    pub fn note_count(&self) -> usize {
        self.onsets.iter().map(|o| o.pitches.len()).sum()
    }
}

/// Why a file cannot be used. Each names the problem in words a musician can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PieceError {
    #[error("not a Standard MIDI File (no MThd header)")]
    NotMidi,
    #[error("truncated: {0}")]
    Truncated(String),
    #[error("unreadable MIDI data: {0}")]
    Malformed(String),
    #[error("uses SMPTE time division, which has no quarter notes")]
    Smpte,
    #[error("has no notes outside the drum channel")]
    NoNotes,
}

/// Checks the chunk structure before parsing and returns where the declared tracks end.
/// midly is lenient with a file cut short (it keeps what it could read), but a truncated file
/// is damaged and must not slip silently into training with half its notes. Bytes after the
/// last declared track are ignored, as common readers (mido, DAWs) ignore them: real files
/// carry a stray byte or two there.
fn check_chunks(bytes: &[u8]) -> Result<usize, PieceError> {
    if bytes.len() < 14 || &bytes[0..4] != b"MThd" {
        return Err(PieceError::NotMidi);
    }
    let declared_tracks = u16::from_be_bytes([bytes[10], bytes[11]]) as usize;
    let mut pos = 0usize;
    let mut tracks = 0usize;
    // The header chunk, then the declared tracks (and any other chunks between them).
    while pos == 0 || tracks < declared_tracks {
        if bytes.len() - pos < 8 {
            return Err(PieceError::Truncated(format!(
                "header declares {declared_tracks} tracks, the file ends after {tracks}"
            )));
        }
        let id = &bytes[pos..pos + 4];
        let len = u32::from_be_bytes([
            bytes[pos + 4],
            bytes[pos + 5],
            bytes[pos + 6],
            bytes[pos + 7],
        ]) as usize;
        let end = pos
            .checked_add(8)
            .and_then(|p| p.checked_add(len))
            .filter(|&e| e <= bytes.len())
            .ok_or_else(|| {
                PieceError::Truncated(format!(
                    "chunk at byte {pos} claims {len} bytes, but the file ends at {}",
                    bytes.len()
                ))
            })?;
        if id == b"MTrk" {
            tracks += 1;
        }
        pos = end;
    }
    Ok(pos)
}

/// Reads one file's bytes. Never panics, whatever the bytes.
pub fn read_piece(bytes: &[u8]) -> Result<Piece, PieceError> {
    let bytes = &bytes[..check_chunks(bytes)?];
    // The top bit of the division word marks SMPTE timing. Refuse it before midly parses the
    // frame rate: midly negates it, which overflows for -128 frames per second.
    if bytes[12] & 0x80 != 0 {
        return Err(PieceError::Smpte);
    }
    let smf = Smf::parse(bytes).map_err(|e| PieceError::Malformed(e.to_string()))?;
    let ticks_per_quarter = match smf.header.timing {
        Timing::Metrical(t) if t.as_int() > 0 => t.as_int(),
        Timing::Metrical(_) => return Err(PieceError::Malformed("zero ticks per quarter".into())),
        Timing::Timecode(..) => return Err(PieceError::Smpte),
    };
    let mut by_tick: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    let mut meters = Vec::new();
    let mut end_tick = 0u64;
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick = tick.saturating_add(u64::from(event.delta.as_int()));
            let (channel, message) = match event.kind {
                TrackEventKind::Midi { channel, message } => (channel, message),
                // An impossible signature (such as a zero numerator) is ignored, as common
                // readers ignore it.
                TrackEventKind::Meta(MetaMessage::TimeSignature(n, d, ..)) => {
                    meters.extend(Meter::from_midi(n, d).map(|m| (tick, m)));
                    continue;
                }
                _ => continue,
            };
            if channel.as_int() == DRUM_CHANNEL {
                continue;
            }
            match message {
                MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                    by_tick.entry(tick).or_default().push(key.as_int());
                    end_tick = end_tick.max(tick);
                }
                // Note-on with velocity 0 is a note-off by convention.
                MidiMessage::NoteOn { .. } | MidiMessage::NoteOff { .. } => {
                    end_tick = end_tick.max(tick);
                }
                _ => {}
            }
        }
    }
    if by_tick.is_empty() {
        return Err(PieceError::NoNotes);
    }
    let onsets = by_tick
        .into_iter()
        .map(|(tick, mut pitches)| {
            pitches.sort_unstable();
            pitches.dedup();
            pitches.truncate(MAX_CHORD_NOTES);
            Onset { tick, pitches }
        })
        .collect();
    Ok(Piece {
        ticks_per_quarter,
        onsets,
        end_tick,
        meters: MeterMap::from_events(meters),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use midly::{num::*, Format, Header, TrackEvent};

    fn ev(delta: u32, kind: TrackEventKind<'static>) -> TrackEvent<'static> {
        TrackEvent {
            delta: u28::new(delta),
            kind,
        }
    }
    fn on(ch: u8, key: u8, vel: u8) -> TrackEventKind<'static> {
        TrackEventKind::Midi {
            channel: u4::new(ch),
            message: MidiMessage::NoteOn {
                key: u7::new(key),
                vel: u7::new(vel),
            },
        }
    }
    fn write(format: Format, timing: Timing, tracks: Vec<Vec<TrackEvent<'static>>>) -> Vec<u8> {
        let mut smf = Smf::new(Header::new(format, timing));
        for mut t in tracks {
            t.push(ev(0, TrackEventKind::Meta(midly::MetaMessage::EndOfTrack)));
            smf.tracks.push(t);
        }
        let mut out = Vec::new();
        smf.write_std(&mut out).unwrap();
        out
    }

    #[test]
    fn merges_tracks_into_chords_and_skips_drums() {
        let bytes = write(
            Format::Parallel,
            Timing::Metrical(u15::new(96)),
            vec![
                vec![
                    ev(0, on(0, 60, 90)),
                    ev(96, on(0, 60, 0)),
                    ev(0, on(0, 62, 80)),
                    ev(48, on(0, 62, 0)),
                ],
                vec![
                    ev(0, on(1, 64, 70)),
                    ev(96, on(9, 36, 100)),
                    ev(10, on(1, 64, 0)),
                ],
            ],
        );
        let piece = read_piece(&bytes).unwrap();
        assert_eq!(piece.onsets.len(), 2);
        assert_eq!(
            piece.onsets[0],
            Onset {
                tick: 0,
                pitches: vec![60, 64]
            }
        );
        assert_eq!(
            piece.onsets[1],
            Onset {
                tick: 96,
                pitches: vec![62]
            }
        );
        assert_eq!(piece.end_tick, 144);
        assert_eq!(piece.quarters(144), 1.5);
    }

    #[test]
    fn running_status_is_read() {
        // One track: note-on 60, then running-status note-on 60 vel 0 (a note-off), 64 on, off.
        let track: Vec<u8> = vec![
            0x00, 0x90, 60, 100, 0x60, 60, 0, 0x00, 64, 100, 0x60, 64, 0, 0x00, 0xFF, 0x2F, 0x00,
        ];
        let mut bytes = b"MThd\0\0\0\x06\0\0\0\x01\0\x60MTrk".to_vec();
        bytes.extend((track.len() as u32).to_be_bytes());
        bytes.extend(track);
        let piece = read_piece(&bytes).unwrap();
        let ticks: Vec<u64> = piece.onsets.iter().map(|o| o.tick).collect();
        assert_eq!(ticks, vec![0, 0x60]);
        assert_eq!(piece.end_tick, 0xC0);
    }

    #[test]
    fn bad_files_give_reasons_not_panics() {
        let good = write(
            Format::SingleTrack,
            Timing::Metrical(u15::new(96)),
            vec![vec![ev(0, on(0, 60, 90)), ev(96, on(0, 60, 0))]],
        );
        assert_eq!(read_piece(b""), Err(PieceError::NotMidi));
        assert_eq!(read_piece(b"RIFF0000000000000"), Err(PieceError::NotMidi));
        assert!(matches!(
            read_piece(&good[..good.len() - 3]),
            Err(PieceError::Truncated(_))
        ));
        // Stray bytes after the last track, as in real files that mido and DAWs read.
        for stray in [
            &[0x00, 0x00][..],
            &[0xde, 0xad, 0xbe, 0xef, 0x01],
            b"MTrk\0\0\0\x09ab",
        ] {
            let mut extra = good.clone();
            extra.extend(stray);
            assert_eq!(read_piece(&extra), read_piece(&good), "{stray:?}");
        }
        assert!(read_piece(&good).is_ok());
        // A track the header declares but the file lacks is a truncation.
        let mut missing_track = good.clone();
        missing_track[11] = 2;
        assert!(matches!(
            read_piece(&missing_track),
            Err(PieceError::Truncated(_))
        ));
        let smpte = write(
            Format::SingleTrack,
            Timing::Timecode(midly::Fps::Fps25, 40),
            vec![vec![ev(0, on(0, 60, 90))]],
        );
        assert_eq!(read_piece(&smpte), Err(PieceError::Smpte));
        let drums_only = write(
            Format::SingleTrack,
            Timing::Metrical(u15::new(96)),
            vec![vec![ev(0, on(9, 36, 90))]],
        );
        assert_eq!(read_piece(&drums_only), Err(PieceError::NoNotes));
        // Every prefix and a few corruptions of a good file: errors or pieces, never a panic.
        for n in 0..good.len() {
            let _ = read_piece(&good[..n]);
            let mut flipped = good.clone();
            flipped[n] ^= 0xA5;
            let _ = read_piece(&flipped);
        }
    }

    fn time_signature(n: u8, d_power: u8) -> TrackEventKind<'static> {
        TrackEventKind::Meta(MetaMessage::TimeSignature(n, d_power, 24, 8))
    }

    #[test]
    fn time_signatures_come_from_any_track_and_change_mid_piece() {
        let m = |s: &str| s.parse::<Meter>().unwrap();
        // A conductor track in 3/4 that changes to 6/8 after two bars, with an impossible
        // signature (numerator 0) in between, which is ignored; notes in another track.
        let bytes = write(
            Format::Parallel,
            Timing::Metrical(u15::new(96)),
            vec![
                vec![
                    ev(0, time_signature(3, 2)),
                    ev(96 * 3, time_signature(0, 2)),
                    ev(96 * 3, time_signature(6, 3)),
                ],
                vec![ev(0, on(0, 60, 90)), ev(96 * 7, on(0, 60, 0))],
            ],
        );
        let piece = read_piece(&bytes).unwrap();
        let changes: Vec<(u64, Meter)> = piece
            .meters
            .changes()
            .iter()
            .map(|c| (c.tick, c.meter))
            .collect();
        assert_eq!(changes, vec![(0, m("3/4")), (576, m("6/8"))]);

        // Without any, a file is in 4/4.
        let plain = write(
            Format::SingleTrack,
            Timing::Metrical(u15::new(96)),
            vec![vec![ev(0, on(0, 60, 90)), ev(96, on(0, 60, 0))]],
        );
        let piece = read_piece(&plain).unwrap();
        assert_eq!(piece.meters.changes().len(), 1);
        assert_eq!(piece.meters.at(10_000).meter, Meter::COMMON_TIME);
    }
}
