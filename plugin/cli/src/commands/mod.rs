//! The `deepmidi` command: train, eval, generate, bench.

mod bench_cmd;
mod eval_cmd;
mod generate_cmd;
mod key_adherence_cmd;
mod train_cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "deepmidi",
    version,
    about = "Train LSTM note and offset models on MIDI files, evaluate them, and generate music"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model set (note + offset networks) on a folder of MIDI files.
    Train(train_cmd::TrainArgs),
    /// Measure a model set on a corpus: NLL and accuracy against a unigram baseline, and
    /// how its generated music overlaps the corpus.
    Eval(eval_cmd::EvalArgs),
    /// Generate music with a model set and write it as a MIDI file.
    Generate(generate_cmd::GenerateArgs),
    /// Measure how well the key lock keeps generated music in its key: every keyed scale
    /// at every root, the share of 32-onset windows a key finder hears in that key.
    KeyAdherence(key_adherence_cmd::KeyAdherenceArgs),
    /// Print speed figures: training throughput, one LSTM step (candle vs real-time), and
    /// the cost of the plugin's audio callback.
    Bench(bench_cmd::BenchArgs),
    /// Redraw a model set's loss curve (loss.png) from its history.json.
    LossCurve {
        /// Model set folder.
        #[arg(long)]
        model: std::path::PathBuf,
    },
}

/// Runs the command line; returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train_cmd::run(args),
        Command::Eval(args) => eval_cmd::run(args),
        Command::Generate(args) => generate_cmd::run(args),
        Command::KeyAdherence(args) => key_adherence_cmd::run(args),
        Command::Bench(args) => bench_cmd::run(args),
        Command::LossCurve { model } => crate::training::read_history(&model)
            .map_err(anyhow::Error::from)
            .and_then(|h| {
                let kept = crate::model::load_model_set(&model)
                    .ok()
                    .filter(|set| set.meta.training.validation.is_some())
                    .map(|set| set.meta.training.steps_done);
                crate::pictures::loss_curve_png(&h, kept, &model.join("loss.png"))
            })
            .map(|()| println!("wrote {}", model.join("loss.png").display())),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
