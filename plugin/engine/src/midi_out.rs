//! Writing notes as a Standard MIDI File: the one encoder behind `deepmidi generate`'s files
//! and the plugin's kept bars, so both write the same kind of file.
//!
//! A file is format 1: a tempo track (name, tempo, time signature) and a note track. Notes
//! become key events first ([`key_events`]), which the command line's sound renderer also
//! plays, so a file and its rendering hear the same keys.

use crate::corpus::Meter;
use midly::num::{u15, u24, u28, u4, u7};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};

/// Fine enough for the offset grid (24 per quarter) times any tempo scale we offer.
pub const TICKS_PER_QUARTER: u16 = 960;

/// The name the tempo track carries.
const TRACK_NAME: &[u8] = b"DeepMIDI";

/// One note in quarter-note beats from the file's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedNote {
    pub start_beats: f64,
    pub length_beats: f64,
    pub pitch: u8,
    pub velocity: u8,
    /// MIDI channel, 0-based.
    pub channel: u8,
}

/// A key going down or up, at a time in some unit (MIDI ticks, samples).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KeyEvent {
    pub at: u64,
    /// Ups sort before downs at the same time, so a repeated note is struck again.
    pub down: bool,
    pub pitch: u8,
    /// 1–127 on a key-down, 0 on a key-up.
    pub velocity: u8,
    /// Index of the note: a key-up ends its own note only, not a later strike of the same key.
    pub note: usize,
    /// MIDI channel, 0-based.
    pub channel: u8,
}

/// The one conversion from notes to timed key events: a key-down at each note's start and a
/// key-up at its end, at least one unit later, in time order. `units_per_beat` is ticks or
/// samples per beat. The error names a note (by its index) that cannot be placed in time.
pub fn key_events(
    notes: impl IntoIterator<Item = TimedNote>,
    units_per_beat: f64,
) -> Result<Vec<KeyEvent>, String> {
    let notes = notes.into_iter();
    let mut events = Vec::with_capacity(notes.size_hint().0 * 2);
    for (i, n) in notes.enumerate() {
        if !(n.start_beats.is_finite()
            && n.start_beats >= 0.0
            && n.length_beats.is_finite()
            && n.length_beats >= 0.0)
        {
            return Err(format!(
                "note {i} has start {} and length {} beats: cannot place it in time",
                n.start_beats, n.length_beats
            ));
        }
        if n.pitch > 127 {
            return Err(format!("note {i} has pitch {}, past MIDI's 127", n.pitch));
        }
        let on = (n.start_beats * units_per_beat).round() as u64;
        let off = ((n.start_beats + n.length_beats) * units_per_beat).round() as u64;
        // A velocity of 0 would be a key-up: the softest strike is 1.
        let key = |at, velocity| KeyEvent {
            at,
            down: velocity > 0,
            pitch: n.pitch,
            velocity,
            note: i,
            channel: n.channel.min(15),
        };
        events.push(key(on, n.velocity.clamp(1, 127)));
        events.push(key(off.max(on + 1), 0));
    }
    events.sort();
    Ok(events)
}

/// Encodes key events (in time order, `at` in ticks of [`TICKS_PER_QUARTER`]) as a format-1
/// Standard MIDI File at `bpm` in `meter`.
pub fn smf_bytes(bpm: f64, meter: Meter, keys: &[KeyEvent]) -> Vec<u8> {
    let at_zero = |kind| TrackEvent {
        delta: u28::new(0),
        kind,
    };
    // A tempo outside what the file can say is held at its limit rather than wrapped.
    let micros_per_quarter = (60_000_000.0 / bpm).round().clamp(1.0, 16_777_215.0) as u32;
    let tempo_track = vec![
        at_zero(TrackEventKind::Meta(MetaMessage::TrackName(TRACK_NAME))),
        at_zero(TrackEventKind::Meta(MetaMessage::Tempo(u24::new(
            micros_per_quarter,
        )))),
        at_zero(TrackEventKind::Meta(MetaMessage::TimeSignature(
            meter.numerator(),
            meter.midi_denominator(),
            24,
            8,
        ))),
        at_zero(TrackEventKind::Meta(MetaMessage::EndOfTrack)),
    ];

    let mut note_track = Vec::with_capacity(keys.len() + 1);
    let mut last = 0u64;
    for k in keys {
        let key = u7::new(k.pitch & 0x7f);
        let message = if k.down {
            MidiMessage::NoteOn {
                key,
                vel: u7::new(k.velocity & 0x7f),
            }
        } else {
            MidiMessage::NoteOff {
                key,
                vel: u7::new(64),
            }
        };
        let delta =
            k.at.saturating_sub(last)
                .min(u64::from(u28::max_value().as_int())) as u32;
        note_track.push(TrackEvent {
            delta: u28::new(delta),
            kind: TrackEventKind::Midi {
                channel: u4::new(k.channel.min(15)),
                message,
            },
        });
        last = last.max(k.at);
    }
    note_track.push(at_zero(TrackEventKind::Meta(MetaMessage::EndOfTrack)));

    let mut smf = Smf::new(Header::new(
        Format::Parallel,
        Timing::Metrical(u15::new(TICKS_PER_QUARTER)),
    ));
    smf.tracks.push(tempo_track);
    smf.tracks.push(note_track);
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to a Vec cannot fail");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::read_piece;

    fn note(start_beats: f64, length_beats: f64, pitch: u8, channel: u8) -> TimedNote {
        TimedNote {
            start_beats,
            length_beats,
            pitch,
            velocity: 90,
            channel,
        }
    }

    /// A repeated key is let go before it is struck again; each key-up names its note.
    #[test]
    fn keys_go_up_before_they_go_down_again() {
        let keys = key_events([note(0.0, 1.0, 60, 0), note(1.0, 0.0, 60, 3)], 10.0).unwrap();
        let seen: Vec<_> = keys.iter().map(|k| (k.at, k.down, k.note)).collect();
        // The second note has no length: it still lasts one unit.
        assert_eq!(
            seen,
            [(0, true, 0), (10, false, 0), (10, true, 1), (11, false, 1)]
        );
        assert_eq!(keys[2].channel, 3);
        let err = key_events([note(0.0, 1.0, 60, 0), note(f64::NAN, 1.0, 60, 0)], 1.0);
        assert!(err.unwrap_err().contains("note 1"));
    }

    #[test]
    fn written_file_reads_back_with_its_tempo_meter_and_channels() {
        let meter: Meter = "3/4".parse().unwrap();
        let keys = key_events([note(0.0, 0.5, 60, 0), note(0.5, 1.0, 64, 5)], 960.0).unwrap();
        let bytes = smf_bytes(90.0, meter, &keys);
        let piece = read_piece(&bytes).unwrap();
        assert_eq!(piece.meters.at(0).meter, meter);
        assert_eq!(piece.note_count(), 2);
        assert_eq!(piece.onsets[1].tick, 480);
        let smf = Smf::parse(&bytes).unwrap();
        let tempo = smf.tracks[0].iter().find_map(|e| match e.kind {
            TrackEventKind::Meta(MetaMessage::Tempo(t)) => Some(t.as_int()),
            _ => None,
        });
        assert_eq!(tempo, Some(666_667));
        let channels: Vec<u8> = smf.tracks[1]
            .iter()
            .filter_map(|e| match e.kind {
                TrackEventKind::Midi { channel, .. } => Some(channel.as_int()),
                _ => None,
            })
            .collect();
        assert_eq!(channels, [0, 0, 5, 5]);
    }
}
