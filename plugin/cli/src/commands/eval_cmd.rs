use crate::corpus::{read_corpus, Split};
use crate::evaluation::{continuation, evaluate};
use crate::model::{load_model_set, EVAL_FILE};
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Model set folder.
    #[arg(long)]
    model: PathBuf,
    /// Folder of MIDI files to evaluate on.
    #[arg(long)]
    corpus: PathBuf,
    /// A split.json: evaluate on its validation files only (else on every file).
    #[arg(long)]
    split: Option<PathBuf>,
    /// Seed of the generated music compared with the corpus (with --continuation, the first
    /// of the seeds).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Instead of the full evaluation: feed each piece's first BARS bars, generate BARS bars
    /// with and without them, and compare both with the piece's real next BARS bars.
    #[arg(long, value_name = "BARS")]
    continuation: Option<u32>,
    /// With --continuation: continuations generated per piece, each way.
    #[arg(long, default_value_t = 20, requires = "continuation")]
    seeds: u32,
    /// Where to write the JSON report (default: eval.json in the model folder, or
    /// continuation.json with --continuation).
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let model = load_model_set(&a.model)?;
    let corpus = read_corpus(&a.corpus)?;
    for s in &corpus.skipped {
        eprintln!("warning: {s}");
    }
    let split = a.split.as_deref().map(Split::from_file).transpose()?;
    let (table, json, default_name) = match a.continuation {
        Some(bars) => {
            let report = continuation(&model, &corpus, split.as_ref(), bars, a.seeds, a.seed)?;
            let json = serde_json::to_string_pretty(&report)?;
            (report.table(), json, "continuation.json")
        }
        None => {
            let report = evaluate(&model, &corpus, split.as_ref(), a.seed)?;
            let json = serde_json::to_string_pretty(&report)?;
            (report.table(), json, EVAL_FILE)
        }
    };
    print!("{table}");
    let path = a.json.unwrap_or_else(|| a.model.join(default_name));
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
