//! Hearing a performance: its notes played through a General MIDI SoundFont into a WAV file.

mod soundfont;

pub use soundfont::{find_soundfont, SOUNDFONT_ENV, SOUNDFONT_PATHS};

use crate::generate::Performance;
use anyhow::{bail, Context, Result};
use rustysynth::{SoundFont, Synthesizer, SynthesizerSettings};
use std::path::Path;
use std::sync::Arc;

/// General MIDI program the notes are played with: 0, Acoustic Grand Piano.
pub const PROGRAM: u8 = 0;

/// Seconds rendered after the last note ends, so that its release and the reverb die away.
pub const TAIL_SECONDS: f64 = 1.5;

/// The loudest sample is scaled to this (-1 dBFS), whatever the SoundFont's own level.
const PEAK: f32 = 0.891;

/// Longest performance rendered; a longer one is surely a mistake, and would fill memory.
const MAX_SECONDS: f64 = 3600.0;

/// Plays `perf` through `synth`: returns the left and right channels, `TAIL_SECONDS` longer
/// than the last note.
fn play(
    perf: &Performance,
    synth: &mut Synthesizer,
    sample_rate: u32,
) -> Result<(Vec<f32>, Vec<f32>)> {
    let seconds = perf.end_beats() * perf.seconds_per_beat() + TAIL_SECONDS;
    if !(seconds.is_finite() && seconds <= MAX_SECONDS) {
        bail!("the performance lasts {seconds:.0} s; at most {MAX_SECONDS:.0} s are rendered");
    }
    let total = (seconds * f64::from(sample_rate)).round() as usize;
    let (mut left, mut right) = (vec![0f32; total], vec![0f32; total]);
    synth.process_midi_message(0, 0xC0, i32::from(PROGRAM), 0);
    // Which note holds each key now: a key-up of an earlier note on the same key is ignored.
    let mut holder: [Option<usize>; 128] = [None; 128];
    let mut done = 0usize;
    let samples_per_beat = perf.seconds_per_beat() * f64::from(sample_rate);
    for e in perf
        .key_events(samples_per_beat)
        .map_err(anyhow::Error::msg)?
    {
        let at = (e.at as usize).min(total);
        synth.render(&mut left[done..at], &mut right[done..at]);
        done = at;
        let key = usize::from(e.pitch);
        if e.down {
            if holder[key].is_some() {
                synth.note_off(0, i32::from(e.pitch));
            }
            synth.note_on(0, i32::from(e.pitch), i32::from(e.velocity));
            holder[key] = Some(e.note);
        } else if holder[key] == Some(e.note) {
            synth.note_off(0, i32::from(e.pitch));
            holder[key] = None;
        }
    }
    synth.render(&mut left[done..], &mut right[done..]);
    Ok((left, right))
}

/// Scales both channels so that the loudest sample reaches [`PEAK`] (silence stays silent).
fn normalise(left: &mut [f32], right: &mut [f32]) {
    let peak = left
        .iter()
        .chain(right.iter())
        .fold(0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 && peak.is_finite() {
        let gain = PEAK / peak;
        left.iter_mut()
            .chain(right.iter_mut())
            .for_each(|s| *s *= gain);
    }
}

fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * f32::from(i16::MAX)).round() as i16
}

/// Renders `perf` with General MIDI program [`PROGRAM`] of the SoundFont at `soundfont` into a
/// 16-bit stereo WAV at `path`, lasting the performance plus [`TAIL_SECONDS`], normalised to a
/// peak of -1 dBFS. `sample_rate` must be within 16000..=192000 (44100 is usual).
pub fn render_wav(
    perf: &Performance,
    soundfont: &Path,
    sample_rate: u32,
    path: &Path,
) -> Result<()> {
    if !(perf.bpm.is_finite() && perf.bpm > 0.0) {
        bail!("tempo {} BPM cannot be played", perf.bpm);
    }
    let rate = i32::try_from(sample_rate).context("sample rate out of range")?;
    let file = std::fs::File::open(soundfont)
        .with_context(|| format!("cannot open SoundFont {}", soundfont.display()))?;
    let font = SoundFont::new(&mut std::io::BufReader::new(file))
        .map_err(|e| anyhow::anyhow!("{} is not a usable SoundFont: {e:?}", soundfont.display()))?;
    let mut synth = Synthesizer::new(&Arc::new(font), &SynthesizerSettings::new(rate))
        .map_err(|e| anyhow::anyhow!("cannot start the synthesizer at {sample_rate} Hz: {e:?}"))?;
    let (mut left, mut right) = play(perf, &mut synth, sample_rate)?;
    normalise(&mut left, &mut right);

    let spec = hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(path, spec)
        .with_context(|| format!("cannot write {}", path.display()))?;
    let mut samples = wav.get_i16_writer(2 * left.len() as u32);
    for (l, r) in left.iter().zip(&right) {
        samples.write_sample(to_i16(*l));
        samples.write_sample(to_i16(*r));
    }
    samples
        .flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    wav.finalize()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::PlayedNote;

    fn note(start_beats: f64, length_beats: f64, pitch: u8) -> PlayedNote {
        PlayedNote {
            start_beats,
            length_beats,
            pitch,
            velocity: 90,
        }
    }

    /// Two bars at 120 BPM: a C major arpeggio and a chord, 4 s of notes.
    fn performance() -> Performance {
        let mut notes: Vec<PlayedNote> = [60, 64, 67, 72]
            .iter()
            .enumerate()
            .map(|(i, &p)| note(i as f64, 1.0, p))
            .collect();
        notes.extend([48, 55, 64].map(|p| note(4.0, 4.0, p)));
        Performance {
            notes,
            bpm: 120.0,
            meter: Default::default(),
        }
    }

    fn soundfont() -> std::path::PathBuf {
        find_soundfont().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn renders_the_notes_into_a_stereo_wav() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        let rate = 22_050;
        render_wav(&performance(), &soundfont(), rate, &path).unwrap();

        let mut reader = hound::WavReader::open(&path).unwrap();
        let spec = reader.spec();
        assert_eq!(
            (spec.channels, spec.sample_rate, spec.bits_per_sample),
            (2, rate, 16)
        );
        assert_eq!(spec.sample_format, hound::SampleFormat::Int);
        let seconds = f64::from(reader.duration()) / f64::from(rate);
        assert!((seconds - (4.0 + TAIL_SECONDS)).abs() < 0.01, "{seconds} s");

        let samples: Vec<f64> = reader
            .samples::<i16>()
            .map(|s| f64::from(s.unwrap()) / 32768.0)
            .collect();
        let rms = |s: &[f64]| (s.iter().map(|x| x * x).sum::<f64>() / s.len() as f64).sqrt();
        assert!(rms(&samples) > 0.01, "rms {}", rms(&samples));
        let peak = samples.iter().fold(0f64, |m, s| m.max(s.abs()));
        assert!((peak - f64::from(PEAK)).abs() < 0.01, "peak {peak}");
        // The first note starts at once: the first quarter second already sounds.
        let quarter = (rate as usize / 4) * 2;
        assert!(rms(&samples[..quarter]) > 0.005);
    }

    /// Power of `samples` at `hz` (Goertzel's algorithm).
    fn power_at(samples: &[f64], hz: f64, rate: f64) -> f64 {
        let coeff = 2.0 * (2.0 * std::f64::consts::PI * hz / rate).cos();
        let (mut s1, mut s2) = (0.0, 0.0);
        for x in samples {
            let s = x + coeff * s1 - s2;
            s2 = s1;
            s1 = s;
        }
        s1 * s1 + s2 * s2 - coeff * s1 * s2
    }

    #[test]
    fn plays_the_right_pitch_at_the_right_time() {
        // A4 (440 Hz) from beat 2 to beat 4 at 120 BPM: silence for 1 s, then the note.
        let perf = Performance {
            notes: vec![note(2.0, 2.0, 69)],
            bpm: 120.0,
            meter: Default::default(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a4.wav");
        let rate = 22_050;
        render_wav(&perf, &soundfont(), rate, &path).unwrap();
        let left: Vec<f64> = hound::WavReader::open(&path)
            .unwrap()
            .samples::<i16>()
            .step_by(2)
            .map(|s| f64::from(s.unwrap()) / 32768.0)
            .collect();
        let at = |seconds: f64| (seconds * f64::from(rate)) as usize;
        let peak = |s: &[f64]| s.iter().fold(0f64, |m, x| m.max(x.abs()));
        assert!(
            peak(&left[..at(0.99)]) < 1e-3,
            "sound before the note: {}",
            peak(&left[..at(0.99)])
        );
        assert!(peak(&left[at(1.0)..at(1.2)]) > 0.3);
        let held = &left[at(1.1)..at(1.9)];
        let a4 = power_at(held, 440.0, f64::from(rate));
        for neighbour in [415.3, 466.2] {
            assert!(
                a4 > 20.0 * power_at(held, neighbour, f64::from(rate)),
                "not an A4"
            );
        }
    }

    #[test]
    fn repeated_and_overlapping_notes_each_sound() {
        // The same key struck again before its first note ends, and again right at the end.
        let notes = vec![note(0.0, 2.0, 60), note(1.0, 0.5, 60), note(2.0, 0.5, 60)];
        let perf = Performance {
            notes,
            bpm: 120.0,
            meter: Default::default(),
        };
        // 1000 samples a second at 120 BPM: 500 a beat.
        let events = perf.key_events(500.0).unwrap();
        let downs: Vec<u64> = events.iter().filter(|e| e.down).map(|e| e.at).collect();
        assert_eq!(downs, [0, 500, 1000]);
        // At sample 1000 the first note's key-up comes before the third note's key-down.
        let at_1000: Vec<bool> = events
            .iter()
            .filter(|e| e.at == 1000)
            .map(|e| e.down)
            .collect();
        assert_eq!(at_1000, [false, true]);
    }

    #[test]
    fn refuses_unplayable_performances() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.wav");
        let font = dir.path().join("none.sf2");
        let bad_tempo = Performance {
            bpm: 0.0,
            ..performance()
        };
        assert!(render_wav(&bad_tempo, &font, 44_100, &path)
            .unwrap_err()
            .to_string()
            .contains("tempo"));
        let err = render_wav(&performance(), &font, 44_100, &path).unwrap_err();
        assert!(format!("{err:#}").contains("none.sf2"), "{err:#}");
        let mut nan = performance();
        nan.notes[2].start_beats = f64::NAN;
        assert!(nan.key_events(22_050.0).unwrap_err().contains("note 2"));
        let err = render_wav(&nan, &soundfont(), 44_100, &path).unwrap_err();
        assert!(format!("{err:#}").contains("note 2"), "{err:#}");
    }

    #[test]
    fn refuses_a_file_that_is_no_soundfont() {
        let dir = tempfile::tempdir().unwrap();
        let font = dir.path().join("fake.sf2");
        std::fs::write(&font, b"RIFF\x04\x00\x00\x00junk").unwrap();
        let err =
            render_wav(&performance(), &font, 44_100, &dir.path().join("out.wav")).unwrap_err();
        assert!(err.to_string().contains("not a usable SoundFont"), "{err}");
    }
}
