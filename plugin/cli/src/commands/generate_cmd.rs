use crate::corpus::{read_piece, Meter};
use crate::generate::{generate, write_midi, GenerateOptions};
use crate::harmony::{parse_note, parse_root, PitchClass, PitchLock, Scale};
use crate::model::load_model_set;
use crate::realtime::EngineParams;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct GenerateArgs {
    /// Model set folder (e.g. models/irish).
    #[arg(long)]
    model: PathBuf,
    /// Number of notes to write (a chord counts each note).
    #[arg(long, default_value_t = 200)]
    notes: usize,
    /// Pitch temperature: 0 = always the most likely note or chord (greedy); 1 = the note
    /// model's own distribution.
    #[arg(long, default_value_t = EngineParams::default().temperature)]
    temperature: f32,
    /// Rhythm temperature, the same for the gaps between notes: 0 = always the offset
    /// model's most likely gap.
    #[arg(long, default_value_t = EngineParams::default().rhythm_temperature)]
    rhythm_temperature: f32,
    /// Holds every note to a scale on --root: off, major, natural-minor, harmonic-minor,
    /// melodic-minor, dorian, phrygian, lydian, mixolydian, locrian, major-pentatonic,
    /// minor-pentatonic, blues or chromatic. A keyed scale also starts the music in its key.
    #[arg(long, default_value_t = Scale::Off, value_name = "NAME")]
    scale: Scale,
    /// The scale's root: a note name (D, F#, Bb, or with an octave, D4) or a MIDI number.
    #[arg(long, default_value = "C", value_parser = parse_root, value_name = "NOTE")]
    root: PitchClass,
    /// The lowest note to play: a name with its octave (C4 = 60, C#4, Bb2) or a MIDI number.
    #[arg(long, default_value = "C-1", value_parser = parse_note, value_name = "NOTE")]
    lowest: u8,
    /// The highest note to play, written the same way.
    #[arg(long, default_value = "G9", value_parser = parse_note, value_name = "NOTE")]
    highest: u8,
    /// Stretches every gap: 2 = half speed, 0.5 = double speed.
    #[arg(long, default_value_t = EngineParams::default().tempo_scale)]
    tempo_scale: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Note length as a fraction of the gap to the next note.
    #[arg(long, default_value_t = EngineParams::default().gate)]
    gate: f64,
    #[arg(long, default_value_t = EngineParams::default().velocity)]
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
}

pub fn run(a: GenerateArgs) -> Result<()> {
    anyhow::ensure!(
        a.temperature >= 0.0 && a.temperature.is_finite(),
        "--temperature must be 0 or more"
    );
    anyhow::ensure!(
        a.rhythm_temperature >= 0.0 && a.rhythm_temperature.is_finite(),
        "--rhythm-temperature must be 0 or more"
    );
    anyhow::ensure!(
        a.lowest <= a.highest,
        "--lowest ({}) is above --highest ({})",
        crate::harmony::NoteName(a.lowest),
        crate::harmony::NoteName(a.highest)
    );
    anyhow::ensure!(
        a.tempo_scale > 0.0 && a.tempo_scale.is_finite(),
        "--tempo-scale must be positive"
    );
    anyhow::ensure!(
        (0.05..=1.0).contains(&a.gate),
        "--gate must be between 0.05 and 1"
    );
    anyhow::ensure!(a.bpm > 0.0 && a.bpm.is_finite(), "--bpm must be positive");
    anyhow::ensure!((1..=127).contains(&a.velocity), "--velocity must be 1-127");
    let model = load_model_set(&a.model)?;
    let primer = match &a.primer {
        Some(path) => {
            let bytes = std::fs::read(path)
                .with_context(|| format!("cannot read primer {}", path.display()))?;
            Some(read_piece(&bytes).with_context(|| format!("primer {}", path.display()))?)
        }
        None => None,
    };
    let opts = GenerateOptions {
        notes: a.notes,
        seed: a.seed,
        bpm: a.bpm,
        meter: a.meter.unwrap_or(model.meta.meter),
        engine: EngineParams {
            temperature: a.temperature,
            rhythm_temperature: a.rhythm_temperature,
            lock: PitchLock::new(a.scale, a.root, a.lowest, a.highest),
            tempo_scale: a.tempo_scale,
            gate: a.gate,
            velocity: a.velocity,
            ..EngineParams::default()
        },
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
