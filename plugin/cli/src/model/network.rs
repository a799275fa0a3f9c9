//! Embeddings (and the metric features) → stacked LSTM layers (dropout between them) →
//! Linear onto the vocabulary. Which inputs a network reads is its architecture's
//! ([`deepmidi_engine::model::inputs`]).
//!
//! The tensor names and the gate order (input, forget, cell, output) are the engine's
//! (`deepmidi_engine::model::tensors`), which are candle-nn's `LSTM`'s, so its stock layer can
//! load the same file as a reference. Training does not step candle-nn's layer: each layer's
//! whole window is one fused operation ([`super::fused_lstm`]).

use super::embeddings::InputEmbeddings;
use super::fused_lstm::{lstm_layer, LayerWeights};
use candle_core::{DType, Module, Result, Tensor};
use candle_nn::{Init, Linear, VarBuilder, VarMap};
use deepmidi_engine::model::tensors::{
    BIAS_HH, BIAS_IH, EMBEDDING, HEAD, LSTM, WEIGHT, WEIGHT_HH, WEIGHT_IH,
};
use deepmidi_engine::model::{
    metric_features, NetInput, NetworkShape, PerStream, StepInput, METRIC_FEATURES,
};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;

/// One LSTM layer's weights, PyTorch layout: `weight_ih` is (4·units, inputs).
#[derive(Debug, Clone)]
struct LstmLayer {
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor,
    b_hh: Tensor,
}

/// Hidden and cell state of every layer, each (batch, units).
#[derive(Debug, Clone)]
pub struct LstmState {
    pub h: Vec<Tensor>,
    pub c: Vec<Tensor>,
}

impl LstmLayer {
    fn new(inputs: usize, units: usize, vb: VarBuilder) -> Result<Self> {
        // PyTorch's initialisation: uniform in ±1/sqrt(units) for every weight and bias.
        let k = 1.0 / (units as f64).sqrt();
        let init = Init::Uniform { lo: -k, up: k };
        let w_ih = vb.get_with_hints((4 * units, inputs), WEIGHT_IH, init)?;
        let w_hh = vb.get_with_hints((4 * units, units), WEIGHT_HH, init)?;
        let b_ih = vb.get_with_hints(4 * units, BIAS_IH, init)?;
        let b_hh = vb.get_with_hints(4 * units, BIAS_HH, init)?;
        Ok(LstmLayer {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
        })
    }

    /// xs: (batch, time, inputs) → (batch, time, units), and the final (h, c).
    fn forward(&self, xs: &Tensor, h0: &Tensor, c0: &Tensor) -> Result<(Tensor, Tensor, Tensor)> {
        let t = xs.dim(1)?;
        // Summed here, not once at construction: the optimiser updates the two bias
        // variables in place, and a sum computed earlier would keep their initial values.
        let bias = (&self.b_ih + &self.b_hh)?;
        let weights = LayerWeights {
            w_ih: &self.w_ih,
            w_hh: &self.w_hh,
            bias: &bias,
        };
        let (hs, cs) = lstm_layer(xs, weights, h0, c0)?;
        let last = |s: &Tensor| s.narrow(1, t - 1, 1)?.squeeze(1);
        let (h, c) = (last(&hs)?, last(&cs)?);
        Ok((hs, h, c))
    }
}

/// A batch of steps as tensors: each token input (batch, time) u32, the metric features
/// (batch, time, [`METRIC_FEATURES`]). Built from [`StepInput`]s, the real-time engine's
/// own step type, so both paths read the same thing.
#[derive(Debug, Clone)]
pub struct StepBatch {
    /// Each stream's tokens of the previous step, and of the step itself.
    prev: PerStream<Tensor>,
    current: PerStream<Tensor>,
    metric: Tensor,
}

impl StepBatch {
    /// `steps` row by row: `batch` rows of `time` steps.
    pub fn new(steps: &[StepInput], batch: usize, time: usize) -> Result<StepBatch> {
        let dev = &candle_core::Device::Cpu;
        let tokens = |f: &dyn Fn(&StepInput) -> u32| {
            Tensor::from_vec(
                steps.iter().map(f).collect::<Vec<u32>>(),
                (batch, time),
                dev,
            )
        };
        let metric: Vec<f32> = steps
            .iter()
            .flat_map(|s| metric_features(s.position))
            .collect();
        Ok(StepBatch {
            prev: PerStream::try_from_fn(|kind| tokens(&|s| s.prev[kind]))?,
            current: PerStream::try_from_fn(|kind| tokens(&|s| s.current[kind]))?,
            metric: Tensor::from_vec(metric, (batch, time, METRIC_FEATURES), dev)?,
        })
    }

    /// The tensor an input reads: tokens (batch, time), or the metric features.
    pub fn tokens(&self, input: NetInput) -> &Tensor {
        match input {
            NetInput::Prev(kind) => &self.prev[kind],
            NetInput::Current(kind) => &self.current[kind],
            NetInput::Metric => &self.metric,
        }
    }

    pub fn dims(&self) -> Result<(usize, usize)> {
        self.metric.dims3().map(|(b, t, _)| (b, t))
    }
}

#[derive(Debug, Clone)]
pub struct Network {
    embeddings: InputEmbeddings,
    layers: Vec<LstmLayer>,
    head: Linear,
    dropout: f32,
    shape: NetworkShape,
}

impl Network {
    /// Creates (training) or loads (from stored tensors) a network under `vb`.
    pub fn new(shape: NetworkShape, dropout: f32, vb: VarBuilder) -> Result<Self> {
        let embeddings = InputEmbeddings::new(shape, &vb)?;
        let layers = (0..shape.layers)
            .map(|l| {
                let inputs = shape.layer_inputs(l);
                LstmLayer::new(inputs, shape.units, vb.pp(LSTM).pp(l))
            })
            .collect::<Result<Vec<_>>>()?;
        let head = candle_nn::linear(shape.units, shape.vocab(), vb.pp(HEAD))?;
        Ok(Network {
            embeddings,
            layers,
            head,
            dropout,
            shape,
        })
    }

    pub fn shape(&self) -> NetworkShape {
        self.shape
    }

    pub fn zero_state(&self, batch: usize) -> Result<LstmState> {
        let dev = self.head.weight().device();
        let z = Tensor::zeros((batch, self.shape.units), DType::F32, dev)?;
        Ok(LstmState {
            h: vec![z.clone(); self.layers.len()],
            c: vec![z; self.layers.len()],
        })
    }

    /// A batch of steps → logits (batch, time, vocab). Dropout (training) only with a mask
    /// source.
    pub fn forward(
        &self,
        steps: &StepBatch,
        state: &LstmState,
        mut dropout: Option<&mut Dropout>,
    ) -> Result<(Tensor, LstmState)> {
        let mut xs = self
            .embeddings
            .forward(|input| Ok(steps.tokens(input).clone()))?;
        let mut next = LstmState {
            h: Vec::new(),
            c: Vec::new(),
        };
        for (l, layer) in self.layers.iter().enumerate() {
            if let Some(masks) = dropout
                .as_deref_mut()
                .filter(|_| l > 0 && self.dropout > 0.0)
            {
                xs = masks.apply(&xs, self.dropout)?;
            }
            let (ys, h, c) = layer.forward(&xs, &state.h[l], &state.c[l])?;
            next.h.push(h);
            next.c.push(c);
            xs = ys;
        }
        let (b, t, u) = xs.dims3()?;
        let logits =
            self.head
                .forward(&xs.reshape((b * t, u))?)?
                .reshape((b, t, self.shape.vocab()))?;
        Ok((logits, next))
    }

    /// Mean cross-entropy of predicting `targets` (batch, time) from `steps`.
    pub fn loss(
        &self,
        steps: &StepBatch,
        targets: &Tensor,
        dropout: Option<&mut Dropout>,
    ) -> Result<Tensor> {
        let (b, t) = steps.dims()?;
        let (logits, _) = self.forward(steps, &self.zero_state(b)?, dropout)?;
        candle_nn::loss::cross_entropy(
            &logits.reshape((b * t, self.shape.vocab()))?,
            &targets.flatten_all()?,
        )
    }
}

/// Dropout masks from a seeded generator: candle's own CPU generator cannot be seeded, and
/// the same seed, corpus and flags must train the same model.
pub struct Dropout {
    rng: Pcg64Mcg,
}

impl Dropout {
    pub fn new(seed: u64) -> Dropout {
        Dropout {
            rng: Pcg64Mcg::seed_from_u64(seed),
        }
    }

    /// Zeroes each element with probability `p` and scales the rest by 1 / (1 − p).
    fn apply(&mut self, xs: &Tensor, p: f32) -> Result<Tensor> {
        let keep = 1.0 / (1.0 - p);
        let mask: Vec<f32> = (0..xs.elem_count())
            .map(|_| {
                if self.rng.random::<f32>() < p {
                    0.0
                } else {
                    keep
                }
            })
            .collect();
        xs * Tensor::from_vec(mask, xs.shape(), xs.device())?
    }
}

/// Gives every weight of a new network its initial value from a seeded generator, with the
/// distributions candle's layers use (PyTorch's): the embedding N(0, 1), the LSTM and the
/// head's bias uniform in ±1/√units, the head's weights Kaiming-normal (√2/√units).
pub fn seed_weights(vars: &VarMap, shape: NetworkShape, seed: u64) -> Result<()> {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let data = vars.data().lock().expect("var map");
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let bound = 1.0 / (shape.units as f64).sqrt();
    for name in names {
        let var = &data[name];
        let n = var.elem_count();
        let mut uniform = |k: f64| -> f32 { (rng.random_range(-1.0..1.0) * k) as f32 };
        let values: Vec<f32> = if name.starts_with(EMBEDDING) {
            (0..n).map(|_| normal(&mut rng) as f32).collect()
        } else if name == &format!("{HEAD}.{WEIGHT}") {
            let std = 2f64.sqrt() * bound;
            (0..n).map(|_| (normal(&mut rng) * std) as f32).collect()
        } else {
            (0..n).map(|_| uniform(bound)).collect()
        };
        var.set(&Tensor::from_vec(values, var.shape(), var.device())?)?;
    }
    Ok(())
}

/// A standard normal sample (Box–Muller).
fn normal(rng: &mut Pcg64Mcg) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
