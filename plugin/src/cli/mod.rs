//! The `deepmidi` command: train, eval, generate, bench.

mod train_cmd;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "deepmidi", version, about = "Train LSTM note and offset models on MIDI files, evaluate them, and generate music")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train a model set (note + offset networks) on a folder of MIDI files.
    Train(train_cmd::TrainArgs),
}

/// Runs the command line; returns the process exit code.
pub fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Train(args) => train_cmd::run(args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
