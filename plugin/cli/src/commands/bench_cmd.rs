//! `deepmidi bench`: speed figures, printed as a table. Timings depend on the machine and
//! its load; compare rows of the same run, not runs on different machines.

use crate::model::{load_model_set, CandleModels, Dropout, Network, NetworkShape, StreamKind};
use crate::realtime::{dot, Engine, EngineEvent, EngineParams, PackedLstm, Transport};
use anyhow::Result;
use candle_core::{DType, Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use rand::{Rng, SeedableRng};
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Model set whose networks are stepped.
    #[arg(long, default_value = "models/irish")]
    model: PathBuf,
    /// Training steps timed for the throughput figure.
    #[arg(long, default_value_t = 10)]
    train_steps: usize,
    /// Inference steps timed per figure.
    #[arg(long, default_value_t = 2000)]
    steps: usize,
}

fn micros(start: Instant, n: usize) -> f64 {
    start.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64
}

pub fn run(a: BenchArgs) -> Result<()> {
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

    // Training throughput at the default training size (3 x 128, batch 32 x 64).
    let shape = NetworkShape {
        vocab: set.meta.note_vocab.len(),
        embedding: 64,
        units: 128,
        layers: 3,
    };
    let vars = VarMap::new();
    let net = Network::new(
        shape,
        0.2,
        VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
    )?;
    let mut opt = AdamW::new(
        vars.all_vars(),
        ParamsAdamW {
            lr: 1e-3,
            weight_decay: 0.0,
            ..Default::default()
        },
    )?;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
    let (b, t) = (32, 64);
    let mut batch = || -> Result<Tensor> {
        let v: Vec<u32> = (0..b * t)
            .map(|_| rng.random_range(1..shape.vocab as u32))
            .collect();
        Ok(Tensor::from_vec(v, (b, t), &Device::Cpu)?)
    };
    let (x, y) = (batch()?, batch()?);
    let mut dropout = Dropout::new(1);
    opt.backward_step(&net.loss(&x, &y, Some(&mut dropout))?)?; // warm-up
    let start = Instant::now();
    for _ in 0..a.train_steps {
        let (x, y) = (batch()?, batch()?);
        opt.backward_step(&net.loss(&x, &y, Some(&mut dropout))?)?;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{:<52} {:>14.0}",
        "training throughput, default size (tokens/s)",
        (a.train_steps * b * t) as f64 / secs
    );

    // One inference step at batch 1: candle's stock LSTM vs the packed real-time one.
    for kind in [StreamKind::Note, StreamKind::Offset] {
        let vocab = set.shape(kind).vocab as u32;
        let tokens: Vec<u32> = (0..a.steps).map(|i| (i as u32 * 7919) % vocab).collect();
        let mut reference = set.reference(kind)?;
        let n = (a.steps / 4).max(1);
        let start = Instant::now();
        for &tok in &tokens[..n] {
            reference.step(tok)?;
        }
        println!(
            "{:<52} {:>14.1}",
            format!("{kind:?} step, candle LSTM, batch 1 (µs)"),
            micros(start, n)
        );
        for (name, kernel) in dot::kernels() {
            let mut packed = PackedLstm::with_kernel(&set, kind, kernel)?;
            let start = Instant::now();
            for &tok in &tokens {
                std::hint::black_box(packed.step(tok));
            }
            println!(
                "{:<52} {:>14.1}",
                format!("{kind:?} step, real-time LSTM, {name} (µs)"),
                micros(start, a.steps)
            );
        }
    }

    // process() per 128-sample buffer at 48 kHz, over one simulated minute at 120 BPM.
    let sr = 48_000.0;
    let frames = 128u32;
    let mut engine = Engine::new(&set, sr, 1)?;
    let params = EngineParams {
        temperature: 1.0,
        ..Default::default()
    };
    let buffers = (60.0 * sr / f64::from(frames)) as usize;
    let (mut total, mut worst, mut notes) = (0.0f64, 0.0f64, 0usize);
    for i in 0..buffers {
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some((i as f64 * f64::from(frames)) / sr * 2.0),
            ..Default::default()
        };
        let start = Instant::now();
        engine.process(frames, &transport, &params, &mut |e| {
            notes += usize::from(matches!(e, EngineEvent::NoteOn { .. }))
        });
        let s = start.elapsed().as_secs_f64();
        total += s;
        worst = worst.max(s);
    }
    let budget = f64::from(frames) / sr;
    println!(
        "{:<52} {:>13.3}%",
        "process(), 128 samples @ 48 kHz, mean of real time",
        100.0 * total / buffers as f64 / budget
    );
    println!(
        "{:<52} {:>13.3}%",
        "process(), 128 samples @ 48 kHz, worst of real time",
        100.0 * worst / budget
    );
    println!(
        "{:<52} {:>14}",
        "notes played in the simulated minute", notes
    );
    Ok(())
}
