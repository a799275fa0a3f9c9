use crate::corpus::{read_piece, Meter, Piece};
use crate::evaluation::{self_similarity, PlayedOnset, SeriesOnset};
use crate::generate::{generate, write_midi, GenerateOptions, Performance};
use crate::harmony::{parse_note, parse_root, NoteName, PitchClass, PitchLock, Scale};
use crate::model::load_model_set;
use crate::pictures::{form_matrix_png, FormMatrix};
use crate::realtime::EngineParams;
use crate::tokens::OffsetGrid;
use anyhow::{Context, Result};
use deepmidi_engine::controls::{
    FloatControl, IntControl, GATE, HIGHEST, LOWEST, RHYTHM_TEMPERATURE, ROOT, SCALE, SEED,
    TEMPERATURE, TEMPO_SCALE, VELOCITY,
};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Model set folder (e.g. models/irish).
    #[arg(long)]
    model: PathBuf,
    /// Number of notes to write (a chord counts each note).
    #[arg(long, default_value_t = 200)]
    notes: usize,
    /// Pitch temperature, 0 to 2: 0 = always the most likely note or chord (greedy); 1 = the
    /// note model's own distribution.
    #[arg(long, default_value_t = TEMPERATURE.default as f32, value_parser = f32_arg(TEMPERATURE))]
    temperature: f32,
    /// Rhythm temperature, 0 to 2, the same for the gaps between notes: 0 = always the offset
    /// model's most likely gap.
    #[arg(long, default_value_t = RHYTHM_TEMPERATURE.default as f32, value_parser = f32_arg(RHYTHM_TEMPERATURE))]
    rhythm_temperature: f32,
    /// Holds every note to a scale on --root: off, major, natural-minor, harmonic-minor,
    /// melodic-minor, dorian, phrygian, lydian, mixolydian, locrian, major-pentatonic,
    /// minor-pentatonic, blues or chromatic. A keyed scale also starts the music in its key.
    #[arg(long, default_value_t = Scale::at(SCALE.default as usize), value_name = "NAME")]
    scale: Scale,
    /// The scale's root: a note name (D, F#, Bb, or with an octave, D4) or a MIDI number.
    #[arg(long, default_value_t = PitchClass::of(ROOT.default as u8), value_parser = parse_root, value_name = "NOTE")]
    root: PitchClass,
    /// The lowest note to play, C-1 to G9: a name with its octave (C4 = 60, C#4, Bb2) or a
    /// MIDI number 0 to 127.
    #[arg(long, default_value_t = NoteName(LOWEST.default as u8), value_parser = note_arg, value_name = "NOTE")]
    lowest: NoteName,
    /// The highest note to play, C-1 to G9, written the same way.
    #[arg(long, default_value_t = NoteName(HIGHEST.default as u8), value_parser = note_arg, value_name = "NOTE")]
    highest: NoteName,
    /// Stretches every gap, 0.25 to 4: 2 = half speed, 0.5 = double speed.
    #[arg(long, default_value_t = TEMPO_SCALE.default, value_parser = float_arg(TEMPO_SCALE))]
    tempo_scale: f64,
    /// The random streams' seed, 0 to 65535 (the plugin's Seed).
    #[arg(long, default_value_t = SEED.default as u64, value_parser = int_arg(SEED, |i| i as u64))]
    seed: u64,
    /// Note length as a fraction of the gap to the next note, 0.05 to 1.
    #[arg(long, default_value_t = GATE.default, value_parser = float_arg(GATE))]
    gate: f64,
    /// How hard every note is played, 1 to 127.
    #[arg(long, default_value_t = VELOCITY.default as u8, value_parser = int_arg(VELOCITY, |i| i as u8))]
    velocity: u8,
    /// Tempo written to the file.
    #[arg(long, default_value_t = 120.0)]
    bpm: f64,
    /// Time signature written to the file and drawn in the piano roll, such as 3/4 or 6/8
    /// [default: the model's, the commonest in its training music].
    #[arg(long, value_name = "N/D")]
    meter: Option<Meter>,
    /// A MIDI file whose notes run through both models before sampling starts.
    #[arg(long)]
    primer: Option<PathBuf>,
    /// Output MIDI file.
    #[arg(short = 'o', long = "out")]
    out: PathBuf,
    /// Also render the notes to a WAV file through a General MIDI SoundFont.
    #[arg(long)]
    wav: Option<PathBuf>,
    /// Also draw the notes as a piano-roll PNG.
    #[arg(long)]
    piano_roll: Option<PathBuf>,
    /// Also draw the form of what was generated as a PNG: its bar-by-bar self-similarity
    /// matrix (a phrase that comes back draws a line beside the diagonal).
    #[arg(long)]
    form_png: Option<PathBuf>,
    /// A MIDI file from the corpus whose form --form-png draws beside the generated one.
    #[arg(long, requires = "form_png")]
    corpus: Option<PathBuf>,
}

/// A flag read as `control` reads its text, refused outside its range (the message names it).
fn float_arg(control: FloatControl) -> impl Fn(&str) -> Result<f64, String> + Clone + Send + Sync {
    move |text| control.parse_in_range(text)
}

/// [`float_arg`] for a flag the engine takes as `f32`: the nearest one, as the plugin's
/// parameters hold it.
fn f32_arg(control: FloatControl) -> impl Fn(&str) -> Result<f32, String> + Clone + Send + Sync {
    move |text| control.parse_in_range(text).map(|v| v as f32)
}

/// A flag read as `control` reads its text, refused outside its range, made into `T`.
fn int_arg<T: Clone + Send + Sync + 'static>(
    control: IntControl,
    make: fn(i32) -> T,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync {
    move |text| control.parse_in_range(text).map(make)
}

/// A note flag. `parse_note`'s range is MIDI's, the note controls' too (a test checks), and its
/// message shows how to write a note.
fn note_arg(text: &str) -> Result<NoteName, String> {
    parse_note(text).map(NoteName).map_err(|e| e.to_string())
}

impl GenerateArgs {
    /// The engine's settings from the flags (each in its range already: the flags' parsers refuse the rest).
    fn engine(&self) -> EngineParams {
        EngineParams {
            temperature: self.temperature,
            rhythm_temperature: self.rhythm_temperature,
            lock: PitchLock::new(self.scale, self.root, self.lowest.0, self.highest.0),
            tempo_scale: self.tempo_scale,
            gate: self.gate,
            velocity: self.velocity,
            ..EngineParams::default()
        }
    }
}

pub fn run(a: GenerateArgs) -> Result<()> {
    anyhow::ensure!(
        a.lowest.0 <= a.highest.0,
        "--lowest ({}) is above --highest ({})",
        a.lowest,
        a.highest
    );
    anyhow::ensure!(a.bpm > 0.0 && a.bpm.is_finite(), "--bpm must be positive");
    let model = load_model_set(&a.model)?;
    let primer = a
        .primer
        .as_deref()
        .map(|p| read_midi(p, "primer"))
        .transpose()?;
    // Read before generating, so that a bad file costs nothing.
    let corpus_piece = a
        .corpus
        .as_deref()
        .map(|p| read_midi(p, "corpus piece"))
        .transpose()?;
    let opts = GenerateOptions {
        notes: a.notes,
        seed: a.seed,
        bpm: a.bpm,
        meter: a.meter.unwrap_or(model.meta.meter),
        engine: a.engine(),
        bars: None,
    };
    let perf = generate(&model, &opts, primer.as_ref())?;
    write_midi(&perf, &a.out).with_context(|| format!("cannot write {}", a.out.display()))?;
    println!(
        "wrote {} ({} notes, {:.1} beats, {:.1} s at {} BPM)",
        a.out.display(),
        perf.notes.len(),
        perf.end_beats(),
        perf.end_beats() * perf.seconds_per_beat(),
        a.bpm
    );
    if let Some(png) = &a.piano_roll {
        crate::pictures::piano_roll_png(&perf, png)?;
        println!("wrote {}", png.display());
    }
    if let Some(png) = &a.form_png {
        draw_form(
            &perf,
            &model.meta.grid,
            corpus_piece.as_ref().zip(a.corpus.as_deref()),
            png,
        )?;
        println!("wrote {}", png.display());
    }
    if let Some(wav) = &a.wav {
        let soundfont = crate::sound::find_soundfont().map_err(anyhow::Error::msg)?;
        crate::sound::render_wav(&perf, &soundfont, 44_100, wav)?;
        println!(
            "wrote {} (SoundFont {})",
            wav.display(),
            soundfont.display()
        );
    }
    Ok(())
}

/// A MIDI file as a piece; the error names it as `what`.
fn read_midi(path: &Path, what: &str) -> Result<Piece> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    read_piece(&bytes).with_context(|| format!("{what} {}", path.display()))
}

/// The form picture of `perf`, beside that of a corpus piece (and its file) when given.
fn draw_form(
    perf: &Performance,
    grid: &OffsetGrid,
    corpus: Option<(&Piece, &Path)>,
    png: &Path,
) -> Result<()> {
    let played = PlayedOnset::of_performance(perf, grid);
    let series: Vec<SeriesOnset> = played.iter().map(PlayedOnset::as_series).collect();
    let generated = self_similarity(&series);
    let corpus = corpus.map(|(piece, path)| {
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        (self_similarity(&SeriesOnset::of_piece(piece, grid)), name)
    });
    let mut matrices = vec![FormMatrix {
        title: "generated",
        cells: &generated,
    }];
    if let Some((cells, name)) = &corpus {
        matrices.push(FormMatrix { title: name, cells });
    }
    form_matrix_png(&matrices, png)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};
    use deepmidi_engine::controls::{Control, IntText, ALL};

    #[derive(Parser)]
    struct Command {
        #[command(flatten)]
        generate: GenerateArgs,
    }

    fn parse(extra: &[&str]) -> Result<GenerateArgs, clap::Error> {
        let required = ["deepmidi", "--model", "models/irish", "-o", "out.mid"];
        Command::try_parse_from(required.iter().chain(extra)).map(|c| c.generate)
    }

    #[test]
    fn no_flags_are_the_tables_defaults() {
        let a = parse(&[]).unwrap();
        assert_eq!(a.engine(), EngineParams::default());
        assert_eq!(a.seed, SEED.default as u64);
    }

    /// The flags that are plugin controls, by the control's id.
    fn flag(id: &str) -> Option<&'static str> {
        Some(match id {
            "temp" => "--temperature",
            "rtemp" => "--rhythm-temperature",
            "scale" => "--scale",
            "root" => "--root",
            "lownote" => "--lowest",
            "highnote" => "--highest",
            "tscale" => "--tempo-scale",
            "gate" => "--gate",
            "vel" => "--velocity",
            "seed" => "--seed",
            _ => return None,
        })
    }

    /// A flag takes a value exactly where the plugin's parameter keeps it as it is (its
    /// control's clamp leaves it), refuses the rest naming the range, and reads the
    /// parameter's own texts.
    #[test]
    fn flags_take_what_the_controls_range_holds() {
        let sweep = [
            -1e9, -1.0, -0.01, 0.0, 0.04, 0.05, 0.25, 0.9, 1.0, 2.0, 2.01, 4.0, 4.5, 16.0, 17.0,
            127.0, 128.0, 65535.0, 65536.0, 1e9,
        ];
        let mut flags = 0;
        for control in ALL {
            let Some(flag) = flag(control.id()) else {
                continue;
            };
            flags += 1;
            for v in sweep {
                let (text, in_range) = match control {
                    Control::Float(c) => (v.to_string(), c.clamp(v) == v),
                    // Scales and roots read names (a root any note's): their texts below.
                    Control::Int(c)
                        if v.fract() == 0.0
                            && matches!(c.text, IntText::Number | IntText::Note) =>
                    {
                        let v = v as i32;
                        (v.to_string(), c.clamp(v) == v)
                    }
                    _ => continue,
                };
                let parsed = parse(&[&format!("{flag}={text}")]);
                assert_eq!(parsed.is_ok(), in_range, "{flag} {text}");
                if let Err(e) = parsed {
                    let message = e.to_string();
                    let range = match control {
                        Control::Float(c) => format!("{} to {}", c.min, c.max),
                        Control::Int(c) => format!("{} to {}", c.format(c.min), c.format(c.max)),
                        _ => unreachable!(),
                    };
                    assert!(message.contains(&range), "{flag} {text}: {message}");
                }
            }
            // The plugin's texts read back, at both ends.
            let texts = match control {
                Control::Float(c) => [c.format(c.min), c.format(c.max)],
                Control::Int(c) => [c.format(c.min), c.format(c.max)],
                _ => unreachable!("only numbers are flags"),
            };
            for text in texts {
                assert!(parse(&[&format!("{flag}={text}")]).is_ok(), "{flag} {text}");
            }
        }
        assert_eq!(flags, 10);
        // Each number flag's help names its control's range.
        let command = Command::command();
        for control in ALL {
            let range = match control {
                Control::Float(c) => format!("{} to {}", c.min, c.max),
                Control::Int(c) if matches!(c.text, IntText::Number | IntText::Note) => {
                    format!("{} to {}", c.format(c.min), c.format(c.max))
                }
                _ => continue,
            };
            let Some(flag) = flag(control.id()) else {
                continue;
            };
            let arg = command
                .get_arguments()
                .find(|a| a.get_long() == flag.strip_prefix("--"))
                .unwrap();
            let help = arg.get_help().unwrap().to_string();
            assert!(help.contains(&range), "{flag}: {help:?} lacks {range}");
        }
        let a = parse(&[
            "--gate",
            "0.5",
            "--lowest",
            "C4",
            "--scale",
            "Harmonic Minor",
        ])
        .unwrap();
        assert_eq!(
            (a.gate, a.lowest.0, a.scale),
            (0.5, 60, Scale::HarmonicMinor)
        );
    }
}
