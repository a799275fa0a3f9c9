//! The training loop: both networks, Adam, cross-entropy, checkpoints, validation.

use super::batches::WindowSampler;
use super::checkpoint::{
    latest_checkpoint, read_history, remove_checkpoints, save_checkpoint, write_history,
};
use super::dataset::{Dataset, EncodedPiece};
use crate::corpus::{predominant_meter, read_corpus, SkippedFile, Split};
use crate::evaluation::score_network;
use crate::model::{
    load_model_set, save_model_set, seed_weights, CorpusInfo, Dropout, Hyper, Losses, ModelMeta,
    Network, NetworkShape, PerStream, StepBatch, StreamKind, TrainingInfo, FORMAT_VERSION,
};
use crate::tokens::{OffsetGrid, TokenMode};
use anyhow::{bail, Context, Result};
use candle_core::{backprop::GradStore, DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Instant;

/// Gradients are clipped to this global norm: LSTMs occasionally produce exploding
/// gradients early in training, and one bad step can undo minutes of learning.
const CLIP_NORM: f64 = 5.0;

#[derive(Debug, Clone)]
pub struct TrainOptions {
    pub corpus: PathBuf,
    pub out: PathBuf,
    pub split: Option<PathBuf>,
    pub name: Option<String>,
    pub mode: TokenMode,
    pub hyper: Hyper,
    pub checkpoint_every: usize,
    pub stopping: EarlyStopping,
    pub resume: bool,
    pub progress: bool,
}

/// When validation loss is measured, and when a run that stopped improving ends.
///
/// Every `validate_every` steps the validation NLL per onset is measured; the model set with
/// the lowest so far is what the output folder holds, then and at the end. After `patience`
/// measurements in a row without a new lowest, the run stops early (0: it never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EarlyStopping {
    pub validate_every: usize,
    pub patience: usize,
}

impl Default for EarlyStopping {
    fn default() -> Self {
        EarlyStopping {
            validate_every: 100,
            patience: 10,
        }
    }
}

/// The lowest validation loss so far and the step that reached it.
#[derive(Debug, Clone, Copy)]
struct Best {
    step: usize,
    per_onset: f64,
}

/// One point of the loss curve: mean training loss since the previous point, and the
/// validation loss where one was measured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LossPoint {
    pub step: usize,
    pub note: f64,
    pub offset: f64,
    pub validation: Option<Losses>,
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

pub struct TrainReport {
    pub meta: ModelMeta,
    pub history: Vec<LossPoint>,
    pub skipped: Vec<SkippedFile>,
}

/// One network with its optimiser and dropout masks: the training step, used by `train` and
/// timed by `bench`.
pub(crate) struct Learner {
    vars: VarMap,
    net: Network,
    opt: AdamW,
    dropout: Dropout,
}

impl Learner {
    /// A new network whose weights and dropout masks follow `seed`.
    pub(crate) fn new(shape: NetworkShape, hyper: &Hyper, seed: u64) -> Result<Self> {
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu);
        let net = Network::new(shape, hyper.dropout, vb)?;
        seed_weights(&vars, shape, seed)?;
        let params = ParamsAdamW {
            lr: hyper.learning_rate,
            weight_decay: 0.0,
            ..Default::default()
        };
        let opt = AdamW::new(vars.all_vars(), params)?;
        Ok(Learner {
            vars,
            net,
            opt,
            dropout: Dropout::new(seed),
        })
    }

    /// One optimiser step on a batch; returns its mean loss.
    pub(crate) fn step(&mut self, steps: &StepBatch, targets: &Tensor) -> Result<f64> {
        let loss = self.net.loss(steps, targets, Some(&mut self.dropout))?;
        let mut grads = loss.backward()?;
        clip_gradients(&mut grads, &self.vars.all_vars(), CLIP_NORM)?;
        self.opt.step(&grads)?;
        Ok(f64::from(loss.to_scalar::<f32>()?))
    }
}

fn clip_gradients(grads: &mut GradStore, vars: &[Var], max_norm: f64) -> Result<()> {
    let mut sq = 0f64;
    for v in vars {
        if let Some(g) = grads.get(v.as_tensor()) {
            sq += f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?);
        }
    }
    let norm = sq.sqrt();
    if norm > max_norm && norm.is_finite() {
        let scale = max_norm / norm;
        for v in vars {
            if let Some(g) = grads.remove(v.as_tensor()) {
                grads.insert(v.as_tensor(), (g * scale)?);
            }
        }
    }
    Ok(())
}

/// Measures every network on the validation pieces.
fn validate(ds: &Dataset, nets: PerStream<&Network>) -> Result<Option<Losses>> {
    if ds.validation.is_empty() {
        return Ok(None);
    }
    let pieces: Vec<&EncodedPiece> = ds.validation.iter().collect();
    let scores = PerStream::try_from_fn(|kind| score_network(nets[kind], &pieces, 32))?;
    let (n, o) = (&scores[StreamKind::Note], &scores[StreamKind::Offset]);
    // The first onset of each piece has no context and is not scored.
    let onsets: usize = ds
        .validation
        .iter()
        .map(|p| p.onsets.saturating_sub(1))
        .sum();
    Ok(Some(Losses {
        note: n.nll(),
        offset: o.nll(),
        per_onset: (n.nll_sum + o.nll_sum) / onsets.max(1) as f64,
    }))
}

pub fn train(opts: &TrainOptions) -> Result<TrainReport> {
    let corpus = read_corpus(&opts.corpus)?;
    for s in &corpus.skipped {
        eprintln!("warning: {s}");
    }
    let split = match &opts.split {
        Some(path) => Split::from_file(path)?,
        None => Split::EveryTenth,
    };
    let mut hyper = opts.hyper.clone();
    let ds = Dataset::build(
        &corpus,
        &split,
        opts.mode,
        OffsetGrid::default(),
        hyper.min_count,
        hyper.transpose,
    );
    let mut start_step = 0;
    let mut history = Vec::new();
    let checkpoint = if opts.resume {
        latest_checkpoint(&opts.out)
    } else {
        None
    };
    if opts.resume && checkpoint.is_none() {
        eprintln!(
            "note: no checkpoint in {}, starting from scratch",
            opts.out.display()
        );
    }
    let resumed = match &checkpoint {
        Some(dir) => {
            let set = load_model_set(dir)?;
            if set.meta.note_vocab != ds.note_vocab
                || set.meta.offset_vocab != ds.offset_vocab
                || set.meta.mode != ds.mode
            {
                bail!("{}: the corpus or token mode changed since this checkpoint; train afresh without --resume", dir.display());
            }
            // The network's shape comes from the checkpoint; the step target from the flags.
            hyper = Hyper {
                steps: opts.hyper.steps,
                ..set.meta.hyper.clone()
            };
            start_step = set.meta.training.steps_done;
            history = read_history(dir).unwrap_or_default();
            eprintln!("resuming from {} at step {start_step}", dir.display());
            Some(set)
        }
        None => None,
    };
    let vocabs = ds.vocab_sizes();
    // Each network its own stream; a resumed run continues with streams of its own.
    let seed =
        |stream: u64| hyper.seed.wrapping_mul(4).wrapping_add(stream) ^ (start_step as u64) << 32;
    let mut learners = PerStream::try_from_fn(|kind| {
        Learner::new(hyper.shape(kind, vocabs), &hyper, seed(kind.index() as u64))
    })?;
    if let Some(set) = &resumed {
        for (kind, learner) in learners.iter_mut() {
            let tensors = set.tensors(kind);
            for (name, var) in learner.vars.data().lock().expect("var map").iter() {
                let w = tensors
                    .get(name)
                    .with_context(|| format!("checkpoint lacks tensor {name}"))?;
                var.set(&Tensor::from_vec(
                    w.data.clone(),
                    w.shape.as_slice(),
                    &Device::Cpu,
                )?)?;
            }
        }
    }
    if start_step >= hyper.steps {
        bail!("the checkpoint already has {start_step} steps; ask for more with --steps");
    }
    // A resumed run keeps competing with the best set it already wrote.
    let mut best: Option<Best> = resumed
        .as_ref()
        .and_then(|_| load_model_set(&opts.out).ok())
        .and_then(|set| {
            let t = set.meta.training;
            t.validation.map(|v| Best {
                step: t.steps_done,
                per_onset: v.per_onset,
            })
        });
    let mut stale = 0usize;
    let mut sampler = WindowSampler::new(
        &ds,
        hyper.seq_len,
        hyper.seed.wrapping_add(start_step as u64),
    )
    .with_context(|| {
        format!(
            "the training files hold fewer than {} tokens: too little to train on",
            hyper.seq_len + 2
        )
    })?;

    let name = opts.name.clone().unwrap_or_else(|| {
        opts.out
            .file_name()
            .map_or_else(|| "model".into(), |n| n.to_string_lossy().into_owned())
    });
    let (train_files, validation_files) = (ds.train.len(), ds.validation.len());
    let mut meta = ModelMeta {
        format: FORMAT_VERSION,
        name,
        mode: ds.mode,
        grid: ds.grid,
        meter: predominant_meter(
            split
                .partition(&corpus)
                .0
                .iter()
                .map(|&i| &corpus.pieces[i].1),
        ),
        note_vocab: ds.note_vocab.clone(),
        offset_vocab: ds.offset_vocab.clone(),
        hyper: hyper.clone(),
        corpus: CorpusInfo {
            name: corpus.name.clone(),
            files: corpus.pieces.len(),
            train_files,
            validation_files,
            skipped_files: corpus.skipped.len(),
            train_onsets: ds.train_onsets(),
            train_tokens: ds.train_tokens(),
        },
        training: TrainingInfo {
            steps_done: start_step,
            steps_run: start_step,
            train_note_loss: 0.0,
            train_offset_loss: 0.0,
            validation: None,
            seconds: 0.0,
            date: String::new(),
        },
    };

    // A set the plugin would refuse is refused before it is trained.
    crate::model::limits::check_meta(&meta).with_context(|| {
        format!(
            "{}: these settings make a model DeepMIDI cannot load",
            opts.out.display()
        )
    })?;

    let bar = indicatif::ProgressBar::new(hyper.steps as u64);
    if !opts.progress {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg} (eta {eta})",
        )
        .expect("valid template"),
    );
    bar.set_position(start_step as u64);
    let started = Instant::now();
    let (mut sum_note, mut sum_offset, mut since) = (0.0, 0.0, 0usize);
    let mut recent: std::collections::VecDeque<(f64, f64)> = Default::default();
    let tokens_per_step = (hyper.batch_size * hyper.seq_len) as f64;
    for step in start_step..hyper.steps {
        let batch = sampler.batch(hyper.batch_size)?;
        let losses =
            PerStream::try_from_fn(|kind| learners[kind].step(&batch.steps, &batch.targets[kind]))?;
        let (ln, lo) = (losses[StreamKind::Note], losses[StreamKind::Offset]);
        if !ln.is_finite() || !lo.is_finite() {
            bail!("training diverged at step {step} (loss {ln}, {lo}); lower --learning-rate");
        }
        sum_note += ln;
        sum_offset += lo;
        since += 1;
        recent.push_back((ln, lo));
        if recent.len() > 100 {
            recent.pop_front();
        }
        let done = step + 1;
        let rate = (done - start_step) as f64 * tokens_per_step / started.elapsed().as_secs_f64();
        bar.set_message(format!(
            "loss note {ln:.3} offset {lo:.3} | {rate:.0} tok/s"
        ));
        bar.inc(1);
        let at_checkpoint =
            opts.checkpoint_every > 0 && done % opts.checkpoint_every == 0 && done < hyper.steps;
        let at_validation =
            opts.stopping.validate_every > 0 && done % opts.stopping.validate_every == 0;
        if !(at_checkpoint || at_validation || done == hyper.steps) {
            continue;
        }
        let validation = validate(&ds, learners.map(|_, l| &l.net))?;
        history.push(LossPoint {
            step: done,
            note: sum_note / since as f64,
            offset: sum_offset / since as f64,
            validation,
        });
        (sum_note, sum_offset, since) = (0.0, 0.0, 0);
        let n = recent.len() as f64;
        meta.training.train_note_loss = recent.iter().map(|r| r.0).sum::<f64>() / n;
        meta.training.train_offset_loss = recent.iter().map(|r| r.1).sum::<f64>() / n;
        meta.training.steps_done = done;
        meta.training.validation = validation;
        meta.training.seconds = started.elapsed().as_secs_f64();
        meta.training.date = now();
        if let Some(v) = validation {
            if best.is_none_or(|b| v.per_onset < b.per_onset) {
                best = Some(Best {
                    step: done,
                    per_onset: v.per_onset,
                });
                stale = 0;
                save_model_set(&opts.out, &meta, learners.map(|_, l| &l.vars))?;
            } else {
                stale += 1;
            }
        }
        let mut lines = Vec::new();
        if at_checkpoint {
            save_checkpoint(&opts.out, &meta, learners.map(|_, l| &l.vars), &history)?;
            lines.push(format!(
                "step {done}: checkpoint saved{}",
                validation.map_or(String::new(), |v| format!(
                    ", validation NLL note {:.3} offset {:.3}",
                    v.note, v.offset
                ))
            ));
        }
        let patience = opts.stopping.patience;
        if patience > 0 && stale >= patience && done < hyper.steps {
            if let Some(b) = best {
                lines.push(format!(
                    "step {done}: no better validation loss in {patience} measurements since \
                     step {}; stopping early",
                    b.step
                ));
            }
        }
        for line in &lines {
            if opts.progress {
                bar.println(line);
            } else {
                eprintln!("{line}");
            }
        }
        if patience > 0 && stale >= patience {
            break;
        }
    }
    bar.finish_and_clear();
    let steps_run = history.last().map_or(start_step, |p| p.step);
    match best {
        // The output folder holds the best set already; its record gains the whole run.
        Some(b) => {
            let mut set = load_model_set(&opts.out)?;
            set.meta.training.steps_run = steps_run;
            set.meta.training.seconds = started.elapsed().as_secs_f64();
            meta = set.meta;
            debug_assert_eq!(meta.training.steps_done, b.step);
            crate::model::write_meta(&opts.out, &meta)?;
        }
        // Nothing held out to choose by: the last weights are the model.
        None => {
            meta.training.steps_run = steps_run;
            meta.training.seconds = started.elapsed().as_secs_f64();
            meta.training.date = now();
            save_model_set(&opts.out, &meta, learners.map(|_, l| &l.vars))?;
        }
    }
    write_history(&opts.out, &history)?;
    remove_checkpoints(&opts.out);
    Ok(TrainReport {
        meta,
        history,
        skipped: corpus.skipped,
    })
}
