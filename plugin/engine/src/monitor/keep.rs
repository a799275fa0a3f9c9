//! Keeping what DeepMIDI just played: the last bars of its notes as a MIDI file.
//!
//! The musician hears a phrase they like and keeps it. The file holds the last complete
//! bars before the playhead, laid out as the host's bars (its tempo and time signature,
//! time 0 on the first kept bar line), so it drops onto a bar line of any project.

use super::channel::Voice;
use super::history::{NoteHistory, REMEMBERED_BARS};
use crate::midi_out::{key_events, smf_bytes, TimedNote, TICKS_PER_QUARTER};
use std::path::{Path, PathBuf};

/// Where kept files go instead of the user's music folder.
pub const KEEP_DIR_ENV: &str = "DEEPMIDI_KEEP_DIR";

/// A note this close before a bar line (half a tick) starts on it: beats computed from
/// samples land a hair either side of where the notes were placed.
const HALF_TICK: f64 = 0.5 / TICKS_PER_QUARTER as f64;

/// How many bars to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeepBars {
    Four,
    Eight,
    Sixteen,
}

// The history must remember every bar a keep takes.
const _: () = assert!(KeepBars::Sixteen.bars() <= REMEMBERED_BARS);

impl KeepBars {
    pub const ALL: [KeepBars; 3] = [KeepBars::Four, KeepBars::Eight, KeepBars::Sixteen];

    pub const fn bars(self) -> u32 {
        match self {
            KeepBars::Four => 4,
            KeepBars::Eight => 8,
            KeepBars::Sixteen => 16,
        }
    }

    /// What a button shows.
    pub fn label(self) -> &'static str {
        match self {
            KeepBars::Four => "4 bars",
            KeepBars::Eight => "8 bars",
            KeepBars::Sixteen => "16 bars",
        }
    }
}

/// Why no file was kept.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    #[error("nothing has played yet: there are no bars to keep")]
    NoTransport,
    #[error("DeepMIDI played no notes in the last {0} bars")]
    NoNotes(u32),
    #[error("a note cannot be written: {0}")]
    Notes(String),
    #[error("no music folder to keep files in: set {KEEP_DIR_ENV} to a folder")]
    NoFolder,
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// DeepMIDI's own notes (not the musician's) of the last `bars` complete bars as a Standard
/// MIDI File: the host's tempo and time signature, time 0 on the first kept bar line, at
/// [`TICKS_PER_QUARTER`]. A note is kept when it starts in those bars; one that sounds past
/// their end (or sounds still) ends with them.
pub fn kept_bars_smf(history: &NoteHistory, bars: KeepBars) -> Result<Vec<u8>, KeepError> {
    let (Some((first, last)), Some(bpm), Some(meter)) = (
        history.last_bars(bars.bars()),
        history.bpm(),
        history.meter(),
    ) else {
        return Err(KeepError::NoTransport);
    };
    let notes: Vec<TimedNote> = history
        .notes()
        .iter()
        .filter(|n| n.voice == Voice::Played)
        .filter(|n| n.start >= first - HALF_TICK && n.start < last - HALF_TICK)
        .map(|n| {
            let start = (n.start - first).max(0.0);
            let end = n.end.unwrap_or(last).min(last) - first;
            TimedNote {
                start_beats: start,
                length_beats: (end - start).max(0.0),
                pitch: n.pitch,
                velocity: n.velocity,
                channel: n.channel,
            }
        })
        .collect();
    if notes.is_empty() {
        return Err(KeepError::NoNotes(bars.bars()));
    }
    let keys = key_events(notes, f64::from(TICKS_PER_QUARTER)).map_err(KeepError::Notes)?;
    Ok(smf_bytes(bpm, meter, &keys))
}

/// The folder kept files go to: `$DEEPMIDI_KEEP_DIR` when set, else `DeepMIDI` in the
/// user's music folder (`XDG_MUSIC_DIR`, else `~/Music`).
pub fn keep_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(KEEP_DIR_ENV).filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let user = directories::UserDirs::new()?;
    let music = user
        .audio_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| user.home_dir().join("Music"));
    Some(music.join("DeepMIDI"))
}

/// Writes [`kept_bars_smf`] into [`keep_dir`] (made if missing) as
/// `deepmidi-<model>-<YYYYMMDD-HHMMSS>-<N>bars.mid`, the time in UTC, with `-2`, `-3`… added
/// rather than overwrite a file kept in the same second. Returns its path. Writes a file:
/// not on the audio thread.
pub fn keep_bars(history: &NoteHistory, bars: KeepBars, model: &str) -> Result<PathBuf, KeepError> {
    let bytes = kept_bars_smf(history, bars)?;
    let dir = keep_dir().ok_or(KeepError::NoFolder)?;
    let failed = |path: &Path| {
        let path = path.to_path_buf();
        move |source| KeepError::Write { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(failed(&dir))?;
    let stem = format!(
        "deepmidi-{}-{}-{}bars",
        file_name_part(model),
        utc_stamp(std::time::SystemTime::now()),
        bars.bars()
    );
    for n in 1u32.. {
        let name = match n {
            1 => format!("{stem}.mid"),
            n => format!("{stem}-{n}.mid"),
        };
        let path = dir.join(name);
        match write_new(&path, &bytes) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            written => return written.map(|()| path.clone()).map_err(failed(&path)),
        }
    }
    unreachable!("some numbered name is free")
}

/// Writes `bytes` to a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}

/// A model's name as part of a file name: letters, digits, `-` and `_`; anything else (a
/// user folder's spaces, slashes, brackets) becomes `-`.
fn file_name_part(name: &str) -> String {
    let part: String = name
        .chars()
        .map(|c| match c {
            c if c.is_alphanumeric() || c == '-' || c == '_' => c,
            _ => '-',
        })
        .collect();
    match part.trim_matches('-') {
        "" => "model".to_owned(),
        part => part.to_owned(),
    }
}

/// `YYYYMMDD-HHMMSS` in UTC.
fn utc_stamp(time: std::time::SystemTime) -> String {
    // RFC 3339 to the second: `YYYY-MM-DDTHH:MM:SSZ`.
    let rfc3339 = humantime::format_rfc3339_seconds(time).to_string();
    let digits: String = rfc3339.chars().filter(char::is_ascii_digit).collect();
    format!("{}-{}", &digits[..8], &digits[8..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::read_piece;
    use crate::monitor::MonitorEvent;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn stamps_and_names_are_safe_in_file_names() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(utc_stamp(t), "20261118-110640");
        assert_eq!(file_name_part("irish (user 2)"), "irish--user-2");
        assert_eq!(file_name_part("../x"), "x");
        assert_eq!(file_name_part("///"), "model");
        let labels: Vec<_> = KeepBars::ALL
            .iter()
            .map(|k| (k.bars(), k.label()))
            .collect();
        assert_eq!(labels, [(4, "4 bars"), (8, "8 bars"), (16, "16 bars")]);
    }

    fn note(beat: f64, pitch: u8, velocity: u8, voice: Voice) -> MonitorEvent {
        MonitorEvent::Note {
            beat,
            pitch,
            velocity,
            channel: 1,
            voice,
        }
    }

    /// Ten bars of 3/4 at 90 BPM, bar lines at 1.5 + 3k, then the last four complete bars
    /// kept with the playhead in the eleventh.
    #[test]
    fn the_played_notes_of_the_last_bars_are_kept_from_the_first_bar_line() {
        let mut h = NoteHistory::new();
        let transport = |beat| MonitorEvent::Transport {
            beat,
            bpm: 90.0,
            bar_start: 1.5,
            numerator: 3,
            denominator: 4,
        };
        h.add(transport(1.5));
        // (start, end, pitch): one note per bar on its downbeat, a beat long.
        for bar in 0..10 {
            let start = 1.5 + 3.0 * f64::from(bar);
            h.add(note(start, 60 + bar as u8, 100, Voice::Played));
            h.add(note(start + 1.0, 60 + bar as u8, 0, Voice::Played));
        }
        // In the kept bars: a musician's note (left out), a note starting a hair before the
        // first kept line (on it), one crossing the last line (cut there), one sounding
        // still (ends with the bars), and one before the kept bars (left out).
        h.add(note(24.0, 50, 80, Voice::Heard));
        h.add(note(24.5, 50, 0, Voice::Heard));
        h.add(note(19.5 - 1e-7, 40, 70, Voice::Played));
        h.add(note(19.75, 40, 0, Voice::Played));
        h.add(note(30.5, 41, 70, Voice::Played));
        h.add(note(32.0, 41, 0, Voice::Played));
        h.add(note(29.0, 42, 70, Voice::Played));
        h.add(note(18.0, 43, 70, Voice::Played));
        h.add(note(20.0, 43, 0, Voice::Played));
        h.add(transport(32.0));
        // Lines at 31.5: the last four complete bars are 19.5–31.5.
        assert_eq!(h.last_bars(4), Some((19.5, 31.5)));

        let bytes = kept_bars_smf(&h, KeepBars::Four).unwrap();
        let piece = read_piece(&bytes).unwrap();
        assert_eq!(piece.meters.at(0).meter, "3/4".parse().unwrap());
        let (tempo, notes) = read_back(&bytes);
        assert_eq!(tempo, 666_667, "90 BPM");
        let tick = |beat: f64| (beat * 960.0).round() as u64;
        // (on, off, pitch): bars 7–10 (pitches 66–69) from their lines; the note crossing
        // the last line and the one sounding still end on it.
        assert_eq!(
            notes,
            [
                (0, tick(0.25), 40),
                (0, tick(1.0), 66),
                (tick(3.0), tick(4.0), 67),
                (tick(6.0), tick(7.0), 68),
                (tick(9.0), tick(10.0), 69),
                (tick(9.5), tick(12.0), 42),
                (tick(11.0), tick(12.0), 41),
            ]
        );
    }

    /// A kept file's tempo (µs a quarter) and its notes as (on tick, off tick, pitch), in
    /// order of onset then pitch; every note on channel 1.
    fn read_back(bytes: &[u8]) -> (u32, Vec<(u64, u64, u8)>) {
        use midly::{MetaMessage, MidiMessage, Smf, TrackEventKind};
        let smf = Smf::parse(bytes).unwrap();
        let mut tempo = 0;
        let mut notes = Vec::new();
        let mut open: Vec<(u64, u8)> = Vec::new();
        for track in &smf.tracks {
            let mut at = 0u64;
            for e in track {
                at += u64::from(e.delta.as_int());
                match e.kind {
                    TrackEventKind::Meta(MetaMessage::Tempo(t)) => tempo = t.as_int(),
                    TrackEventKind::Midi { channel, message } => {
                        assert_eq!(channel.as_int(), 1);
                        match message {
                            MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                                open.push((at, key.as_int()))
                            }
                            MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                                let i = open.iter().position(|o| o.1 == key.as_int()).unwrap();
                                let (on, pitch) = open.remove(i);
                                notes.push((on, at, pitch));
                            }
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
        }
        assert!(open.is_empty());
        notes.sort_by_key(|&(on, _, pitch)| (on, pitch));
        (tempo, notes)
    }

    #[test]
    fn nothing_to_keep_says_why() {
        let mut h = NoteHistory::new();
        assert!(matches!(
            kept_bars_smf(&h, KeepBars::Four),
            Err(KeepError::NoTransport)
        ));
        h.add(MonitorEvent::Transport {
            beat: 40.0,
            bpm: 120.0,
            bar_start: 0.0,
            numerator: 4,
            denominator: 4,
        });
        h.add(note(30.0, 60, 90, Voice::Heard));
        let err = kept_bars_smf(&h, KeepBars::Eight).unwrap_err();
        assert_eq!(
            err.to_string(),
            "DeepMIDI played no notes in the last 8 bars"
        );
    }
}
