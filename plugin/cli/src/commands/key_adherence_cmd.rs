use crate::evaluation::key_adherence;
use crate::model::load_model_set;
use anyhow::{Context, Result};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct KeyAdherenceArgs {
    /// Model set folder.
    #[arg(long)]
    model: PathBuf,
    /// Windows of 32 onsets generated for each scale and root.
    #[arg(long, default_value_t = 16)]
    windows: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write the JSON report (default: key_adherence.json in the model folder).
    #[arg(long)]
    json: Option<PathBuf>,
}

pub fn run(a: KeyAdherenceArgs) -> Result<()> {
    anyhow::ensure!(a.windows > 0, "--windows must be at least 1");
    let model = load_model_set(&a.model)?;
    let report = key_adherence(&model, a.windows, a.seed)?;
    print!("{}", report.table());
    println!(
        "mean {:.1}%, worst {:.1}% over {} windows a key",
        100.0 * report.mean,
        100.0 * report.worst,
        a.windows
    );
    let path = a.json.unwrap_or_else(|| a.model.join("key_adherence.json"));
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
