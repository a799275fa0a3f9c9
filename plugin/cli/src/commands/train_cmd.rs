use crate::model::{Arch, Hyper};
use crate::tokens::{TokenMode, Transpose};
use crate::training::{train, EarlyStopping, TrainOptions};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct TrainArgs {
    /// Folder of .mid/.midi files, read recursively.
    #[arg(long)]
    corpus: PathBuf,
    /// Output folder for the model set (created).
    #[arg(long)]
    out: PathBuf,
    /// A split.json naming validation files; without it every 10th file validates.
    #[arg(long)]
    split: Option<PathBuf>,
    /// Name shown in the plugin (default: the output folder's name).
    #[arg(long)]
    name: Option<String>,
    /// Chord tokens (whole voicings) or split (one note per token, lowest first).
    #[arg(long, default_value = "chord", value_name = "chord|split")]
    mode: TokenMode,
    #[arg(long, default_value_t = Hyper::default().embedding)]
    embedding: usize,
    /// LSTM units per layer.
    #[arg(long, default_value_t = Hyper::default().units)]
    units: usize,
    #[arg(long, default_value_t = Hyper::default().layers)]
    layers: usize,
    #[arg(long, default_value_t = Hyper::default().dropout)]
    dropout: f32,
    /// Training window length in tokens.
    #[arg(long, default_value_t = Hyper::default().seq_len)]
    seq_len: usize,
    #[arg(long, default_value_t = Hyper::default().batch_size)]
    batch_size: usize,
    #[arg(long, default_value_t = Hyper::default().learning_rate)]
    learning_rate: f64,
    /// Total optimizer steps (with --resume: the total to reach).
    #[arg(long, default_value_t = Hyper::default().steps)]
    steps: usize,
    /// Tokens seen fewer times in training become the UNKNOWN token.
    #[arg(long, default_value_t = Hyper::default().min_count)]
    min_count: u64,
    #[arg(long, default_value_t = Hyper::default().seed)]
    seed: u64,
    /// joint: both networks read the previous note, the previous offset and the bar
    /// position, and the offset network the note it times; seed: each network reads only its
    /// own stream (the first DeepMIDI's models).
    #[arg(long, default_value_t = Hyper::default().arch, value_name = "joint|seed")]
    arch: Arch,
    /// Move each training window by a random interval in LO..HI semitones, LO ≤ 0 ≤ HI
    /// (-5..6: all twelve keys); 0..0 trains on the pieces as written.
    #[arg(
        long,
        default_value_t = Hyper::default().transpose,
        allow_hyphen_values = true,
        value_name = "LO..HI"
    )]
    transpose: Transpose,
    /// Save a checkpoint (a usable model set in OUT/checkpoint) every N steps; 0 = never.
    #[arg(long, default_value_t = 250)]
    checkpoint_every: usize,
    /// Measure the validation loss every N steps; the output keeps the best model set.
    #[arg(long, default_value_t = EarlyStopping::default().validate_every)]
    validate_every: usize,
    /// Stop after N validation measurements in a row without a new best; 0 = never.
    #[arg(long, default_value_t = EarlyStopping::default().patience)]
    patience: usize,
    /// Continue from OUT/checkpoint.
    #[arg(long)]
    resume: bool,
}

pub fn run(a: TrainArgs) -> anyhow::Result<()> {
    let opts = TrainOptions {
        corpus: a.corpus,
        out: a.out,
        split: a.split,
        name: a.name,
        mode: a.mode,
        hyper: Hyper {
            embedding: a.embedding,
            units: a.units,
            layers: a.layers,
            dropout: a.dropout,
            seq_len: a.seq_len,
            batch_size: a.batch_size,
            learning_rate: a.learning_rate,
            steps: a.steps,
            min_count: a.min_count,
            seed: a.seed,
            arch: a.arch,
            transpose: a.transpose,
        },
        checkpoint_every: a.checkpoint_every,
        stopping: EarlyStopping {
            validate_every: a.validate_every,
            patience: a.patience,
        },
        resume: a.resume,
        progress: std::io::stderr().is_terminal(),
    };
    let report = train(&opts)?;
    let t = &report.meta.training;
    println!(
        "trained {} ({:?} mode) on {} files for {} steps in {:.0} s",
        report.meta.name, report.meta.mode, report.meta.corpus.train_files, t.steps_run, t.seconds
    );
    let kept = t.validation.is_some().then_some(t.steps_done);
    if let Some(step) = kept {
        println!("kept the model set of step {step}, the lowest validation loss");
    }
    println!(
        "train loss: note {:.4}, offset {:.4}",
        t.train_note_loss, t.train_offset_loss
    );
    if let Some(v) = t.validation {
        println!(
            "validation NLL: note {:.4}, offset {:.4}, per onset {:.4}",
            v.note, v.offset, v.per_onset
        );
    }
    let png = opts.out.join("loss.png");
    match crate::pictures::loss_curve_png(&report.history, kept, &png) {
        Ok(()) => println!(
            "wrote {} and its loss curve {}",
            opts.out.display(),
            png.display()
        ),
        Err(e) => {
            println!("wrote {}", opts.out.display());
            eprintln!("warning: could not draw {}: {e:#}", png.display());
        }
    }
    Ok(())
}
