use crate::corpus::{read_piece, Meter};
use crate::generate::{generate, write_midi, GenerateOptions};
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
    /// 0 = always the most likely token (greedy); 1 = the model's own distribution.
    #[arg(long, default_value_t = EngineParams::default().temperature)]
    temperature: f32,
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
        temperature: a.temperature,
        tempo_scale: a.tempo_scale,
        seed: a.seed,
        gate: a.gate,
        velocity: a.velocity,
        bpm: a.bpm,
        meter: a.meter.unwrap_or(model.meta.meter),
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
