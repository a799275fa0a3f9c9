//! Writing a performance as a format-1 Standard MIDI File: a tempo track and a note track.

use super::performance::{KeyEvent, Performance};
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use std::path::Path;

/// Fine enough for the offset grid (24 per quarter) times any tempo scale we offer.
pub const TICKS_PER_QUARTER: u16 = 960;

/// Encodes a performance; notes go on `channel` (0-based). The error names a note that
/// cannot be placed in time.
pub fn performance_to_smf_bytes(perf: &Performance, channel: u8) -> Result<Vec<u8>, String> {
    let mut tempo_track = vec![
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::TrackName(b"DeepMIDI")),
        },
        TrackEvent {
            delta: u28::new(0),
            kind: TrackEventKind::Meta(MetaMessage::Tempo(u24::new(
                (60_000_000.0 / perf.bpm).round() as u32,
            ))),
        },
    ];
    tempo_track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::TimeSignature(
            perf.meter.numerator(),
            perf.meter.midi_denominator(),
            24,
            8,
        )),
    });
    tempo_track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });

    let events = perf.key_events(f64::from(TICKS_PER_QUARTER))?;
    let ch = u4::new(channel.min(15));
    let mut note_track = Vec::with_capacity(events.len() + 1);
    let mut last = 0u64;
    for KeyEvent {
        at: t,
        down: on,
        pitch,
        velocity: vel,
        ..
    } in events
    {
        let message = if on {
            MidiMessage::NoteOn {
                key: u7::new(pitch & 0x7f),
                vel: u7::new(vel & 0x7f),
            }
        } else {
            MidiMessage::NoteOff {
                key: u7::new(pitch & 0x7f),
                vel: u7::new(64),
            }
        };
        let delta = (t - last).min(u64::from(u28::max_value().as_int())) as u32;
        note_track.push(TrackEvent {
            delta: u28::new(delta),
            kind: TrackEventKind::Midi {
                channel: ch,
                message,
            },
        });
        last = t;
    }
    note_track.push(TrackEvent {
        delta: u28::new(0),
        kind: TrackEventKind::Meta(MetaMessage::EndOfTrack),
    });

    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
    ));
    smf.tracks.push(tempo_track);
    smf.tracks.push(note_track);
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to a Vec cannot fail");
    Ok(bytes)
}

pub fn write_midi(perf: &Performance, path: &Path) -> std::io::Result<()> {
    let bytes = performance_to_smf_bytes(perf, 0).map_err(std::io::Error::other)?;
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::read_piece;
    use crate::generate::PlayedNote;

    #[test]
    fn written_file_reads_back() {
        let notes = vec![
            PlayedNote {
                start_beats: 0.0,
                length_beats: 0.5,
                pitch: 60,
                velocity: 90,
            },
            PlayedNote {
                start_beats: 0.0,
                length_beats: 0.5,
                pitch: 64,
                velocity: 90,
            },
            PlayedNote {
                start_beats: 0.5,
                length_beats: 1.0,
                pitch: 60,
                velocity: 80,
            },
        ];
        let perf = Performance {
            notes,
            bpm: 100.0,
            meter: "6/8".parse().unwrap(),
        };
        let piece = read_piece(&performance_to_smf_bytes(&perf, 0).unwrap()).unwrap();
        assert_eq!(piece.meters.at(0).meter, perf.meter);
        assert_eq!(piece.note_count(), 3);
        assert_eq!(piece.onsets.len(), 2);
        assert_eq!(piece.onsets[1].tick, 480);
        assert_eq!(piece.end_tick, 1440);
    }
}
