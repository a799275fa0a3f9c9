use crate::corpus::{read_corpus, Split};
use crate::evaluation::evaluate;
use crate::model::load_model_set;
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
    /// Seed of the generated music compared with the corpus.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the JSON report (default: eval.json in the model folder).
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
    let report = evaluate(&model, &corpus, split.as_ref(), a.seed)?;
    print!("{}", report.table());
    let json_path = a.json.unwrap_or_else(|| a.model.join("eval.json"));
    let json = serde_json::to_string_pretty(&report)?;
    std::fs::write(&json_path, json + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    println!("wrote {}", json_path.display());
    Ok(())
}
