//! `deepmidi bench`: speed figures, printed as a table. Timings depend on the machine and
//! its load; compare rows of the same run, not runs on different machines.

mod realtime;

use crate::corpus::{read_corpus, Split};
use crate::model::{load_model_set, random_steps, Arch, CandleModels, Hyper, StreamKind};
use crate::realtime::{kernels, PackedLstm};
use crate::tokens::{OffsetGrid, TokenMode, Transpose};
use crate::training::{Dataset, Learner, WindowSampler};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Model set whose networks are stepped.
    #[arg(long, default_value = "models/irish")]
    model: PathBuf,
    /// Folder of MIDI files that the training figures train on.
    #[arg(long, default_value = "../shared/corpus/irish")]
    corpus: PathBuf,
    /// The split.json whose training files are used (the rest of the corpus, as in `train`);
    /// without the file, all but every 10th file.
    #[arg(long, default_value = "../shared/corpus/split.json")]
    split: PathBuf,
    /// Training steps timed for each throughput figure.
    #[arg(long, default_value_t = 20)]
    train_steps: usize,
    /// A Python with TensorFlow: also time the Keras reference (bench/keras_reference.py) in
    /// this run, with the same network sizes, batch, corpus and steps.
    #[arg(long, value_name = "PYTHON")]
    keras: Option<PathBuf>,
    /// The reference script run by --keras.
    #[arg(long, default_value = "bench/keras_reference.py")]
    keras_script: PathBuf,
    /// Inference steps timed per figure.
    #[arg(long, default_value_t = 2000)]
    steps: usize,
    /// Only the real-time table: `Player::process` per buffer, under each scenario.
    #[arg(long)]
    realtime: bool,
    /// Model sets the real-time table plays, one row group each.
    #[arg(long = "realtime-model", default_values = ["models/irish", "models/bach"])]
    realtime_models: Vec<PathBuf>,
    /// Timed buffers per row of the real-time table: the 99.9th percentile is about the
    /// buffers/1000-th worst, so fewer than 10,000 leave it to a handful of buffers.
    #[arg(long, default_value_t = 30_000)]
    buffers: usize,
    /// Untimed buffers each row plays first (caches, branch predictors, the first notes).
    #[arg(long, default_value_t = 2_000)]
    warm_up: usize,
    /// Also time each call by the thread's CPU clock (the cpu_ columns), which tells a call
    /// that worked long from one that was preempted. Reading that clock is a system call
    /// around every call, which slows the calls a little: compare runs made alike.
    #[arg(long)]
    cpu_time: bool,
}

fn micros(start: Instant, n: usize) -> f64 {
    start.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
}

/// The LSTM sizes timed: the default, and a larger one where matrix products dominate.
const TRAINING_UNITS: [usize; 2] = [128, 256];

/// Tokens per second of `train`'s own training step (note network, default sizes but for
/// `units`; the seed architecture, which the Keras reference builds), after one untimed step.
fn deepmidi_throughput(ds: &Dataset, units: usize, steps: usize) -> Result<f64> {
    let hyper = Hyper {
        units,
        arch: Arch::Seed,
        ..Hyper::default()
    };
    let shape = hyper.shape(StreamKind::Note, ds.vocab_sizes());
    let mut learner = Learner::new(shape, &hyper, 1)?;
    let mut sampler = WindowSampler::new(ds, hyper.seq_len, 1)
        .context("the bench corpus is shorter than one training window")?;
    let warm_up = sampler.batch(hyper.batch_size)?;
    learner.step(&warm_up.steps, &warm_up.targets[StreamKind::Note])?;
    let start = Instant::now();
    for _ in 0..steps {
        let batch = sampler.batch(hyper.batch_size)?;
        learner.step(&batch.steps, &batch.targets[StreamKind::Note])?;
    }
    let tokens = steps * hyper.batch_size * hyper.seq_len;
    Ok(tokens as f64 / start.elapsed().as_secs_f64())
}

/// Runs the Keras reference with the same sizes and reads the throughput it prints.
fn keras_throughput(a: &BenchArgs, python: &Path, units: usize, vocab: usize) -> Result<f64> {
    let h = Hyper::default();
    let output = Command::new(python)
        .arg(&a.keras_script)
        .arg("--corpus")
        .arg(&a.corpus)
        .arg("--split")
        .arg(&a.split)
        .args(["--vocab", &vocab.to_string()])
        .args(["--units", &units.to_string()])
        .args(["--layers", &h.layers.to_string()])
        .args(["--embedding", &h.embedding.to_string()])
        .args(["--dropout", &h.dropout.to_string()])
        .args(["--batch", &h.batch_size.to_string()])
        .args(["--length", &h.seq_len.to_string()])
        .args(["--learning-rate", &h.learning_rate.to_string()])
        .args(["--steps", &a.train_steps.to_string()])
        .output()
        .with_context(|| format!("running {} {}", python.display(), a.keras_script.display()))?;
    if !output.status.success() {
        let err = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = err.lines().rev().take(5).collect();
        bail!(
            "the Keras reference failed ({}): {}",
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(line)
        .with_context(|| format!("the Keras reference printed {line:?}, not its JSON line"))?;
    json["tokens_per_second"]
        .as_f64()
        .context("the Keras reference's JSON has no tokens_per_second")
}

fn training_figures(a: &BenchArgs) -> Result<()> {
    let corpus = match read_corpus(&a.corpus) {
        Ok(corpus) => corpus,
        // The default corpus is the developers' shared one; elsewhere the engine figures
        // still stand on their own.
        Err(e) => {
            println!(
                "training throughput skipped ({e}): pass --corpus with a folder of MIDI files\n"
            );
            return Ok(());
        }
    };
    let split = if a.split.is_file() {
        Split::from_file(&a.split)?
    } else {
        Split::EveryTenth
    };
    let h = Hyper::default();
    let ds = Dataset::build(
        &corpus,
        &split,
        TokenMode::Chord,
        OffsetGrid::default(),
        h.min_count,
        // As written: the Keras reference does not transpose.
        Transpose::default(),
    );
    println!(
        "training throughput (tokens/s): note network, vocabulary {}, embedding {}, batch {} x {} \
         tokens, {} steps, {} training files of {}",
        ds.note_vocab.len(),
        h.embedding,
        h.batch_size,
        h.seq_len,
        a.train_steps,
        ds.train.len(),
        a.corpus.display()
    );
    println!(
        "{:<16} {:>14} {:>14} {:>8}",
        "layers x units", "DeepMIDI", "Keras", "ratio"
    );
    for units in TRAINING_UNITS {
        let ours = deepmidi_throughput(&ds, units, a.train_steps)?;
        let size = format!("{} x {units}", h.layers);
        match &a.keras {
            Some(python) => {
                let keras = keras_throughput(a, python, units, ds.note_vocab.len())?;
                println!(
                    "{size:<16} {ours:>14.0} {keras:>14.0} {:>7.2}x",
                    ours / keras
                );
            }
            None => println!("{size:<16} {ours:>14.0} {:>14} {:>8}", "-", "-"),
        }
    }
    if a.keras.is_none() {
        println!("(add --keras PYTHON for the Keras reference; see bench/keras_reference.py)");
    }
    println!();
    Ok(())
}

pub fn run(a: BenchArgs) -> Result<()> {
    if !a.realtime {
        training_figures(&a)?;
        lstm_figures(&a)?;
        println!();
    }
    realtime::print_table(&a.realtime_models, a.warm_up, a.buffers, a.cpu_time)
}

fn lstm_figures(a: &BenchArgs) -> Result<()> {
    let set = load_model_set(&a.model)?;
    let h = &set.meta.hyper;
    println!(
        "model {} ({}), {} layers x {} units, embedding {}",
        set.meta.name,
        a.model.display(),
        h.layers,
        h.units,
        h.embedding
    );
    println!("{:<52} {:>14}", "figure", "value");

    // One inference step at batch 1: candle's stock LSTM vs the packed real-time one.
    for kind in [StreamKind::Note, StreamKind::Offset] {
        let steps = random_steps(set.shape(kind), a.steps, 1);
        let mut reference = set.reference(kind)?;
        let n = (a.steps / 4).max(1);
        let start = Instant::now();
        for step in &steps[..n] {
            reference.step(step)?;
        }
        println!(
            "{:<52} {:>14.1}",
            format!("{kind:?} step, candle LSTM, batch 1 (µs)"),
            micros(start, n)
        );
        for kernel in kernels::kernels() {
            let mut packed = PackedLstm::with_kernel(&set, kind, kernel)?;
            let mut state = packed.new_state();
            let start = Instant::now();
            for step in &steps {
                std::hint::black_box(packed.step(&mut state, step));
            }
            println!(
                "{:<52} {:>14.1}",
                format!("{kind:?} step, real-time LSTM, {} (µs)", kernel.name),
                micros(start, a.steps)
            );
        }
    }

    Ok(())
}
