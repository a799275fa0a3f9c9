//! Writing a performance as a format-1 Standard MIDI File: a tempo track and a note track.

use super::performance::Performance;
use deepmidi_engine::midi_out::{key_events, smf_bytes};
use std::path::Path;

pub use deepmidi_engine::midi_out::TICKS_PER_QUARTER;

/// Encodes a performance with the engine's one MIDI encoder; notes go on `channel`
/// (0-based). The error names a note that cannot be placed in time.
pub fn performance_to_smf_bytes(perf: &Performance, channel: u8) -> Result<Vec<u8>, String> {
    let notes = perf.notes.iter().map(|n| n.on_channel(channel));
    let keys = key_events(notes, f64::from(TICKS_PER_QUARTER))?;
    Ok(smf_bytes(perf.bpm, perf.meter, &keys))
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
