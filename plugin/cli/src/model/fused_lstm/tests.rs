//! The fused layer against the layer it replaces: candle tensors step by step, differentiated
//! by candle's autograd. Forward values and every gradient must agree to 1e-4, relative to
//! the largest element of each tensor.

use super::{lstm_layer, LayerWeights};
use candle_core::{Device, Result, Tensor, Var};
use rand::{Rng, SeedableRng};

/// The replaced layer: one candle matrix product for the window's input projection, then
/// candle operations for every step.
fn stepwise(
    xs: &Tensor,
    w: LayerWeights<'_>,
    h0: &Tensor,
    c0: &Tensor,
) -> Result<(Tensor, Tensor)> {
    let (batch, time, inputs) = xs.dims3()?;
    let u = w.w_hh.dim(1)?;
    let gates_x = xs
        .reshape((batch * time, inputs))?
        .matmul(&w.w_ih.t()?)?
        .broadcast_add(w.bias)?
        .reshape((batch, time, 4 * u))?;
    let w_hh = w.w_hh;
    let w_hh_t = w_hh.t()?;
    let (mut h, mut c) = (h0.clone(), c0.clone());
    let (mut hs, mut cs) = (Vec::new(), Vec::new());
    for step in 0..time {
        let pre = (gates_x.narrow(1, step, 1)?.squeeze(1)? + h.matmul(&w_hh_t)?)?;
        let sig = candle_nn::ops::sigmoid(&pre)?;
        let i = sig.narrow(1, 0, u)?;
        let f = sig.narrow(1, u, u)?;
        let o = sig.narrow(1, 3 * u, u)?;
        let g = pre.narrow(1, 2 * u, u)?.tanh()?;
        c = ((f * &c)? + (i * g)?)?;
        h = (o * c.tanh()?)?;
        hs.push(h.clone());
        cs.push(c.clone());
    }
    Ok((Tensor::stack(&hs, 1)?, Tensor::stack(&cs, 1)?))
}

type Recurrence = fn(&Tensor, LayerWeights<'_>, &Tensor, &Tensor) -> Result<(Tensor, Tensor)>;

struct Layer {
    w_ih: Var,
    w_hh: Var,
    bias: Var,
    h0: Var,
    c0: Var,
}

fn random(rng: &mut rand_pcg::Pcg64Mcg, shape: &[usize], scale: f32) -> Result<Var> {
    let n = shape.iter().product();
    let v: Vec<f32> = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Var::from_vec(v, shape, &Device::Cpu)
}

/// Runs `layers` stacked layers with `recurrence` and returns the outputs that the loss
/// reads, and the gradient of every input, weight and initial state.
fn run(
    recurrence: Recurrence,
    (batch, time, inputs, units, layers): (usize, usize, usize, usize, usize),
) -> Result<Vec<(String, Tensor)>> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
    let xs = random(&mut rng, &[batch, time, inputs], 1.0)?;
    let mut params = Vec::new();
    for l in 0..layers {
        let fan_in = if l == 0 { inputs } else { units };
        params.push(Layer {
            w_ih: random(&mut rng, &[4 * units, fan_in], 0.6)?,
            w_hh: random(&mut rng, &[4 * units, units], 0.6)?,
            bias: random(&mut rng, &[4 * units], 0.5)?,
            h0: random(&mut rng, &[batch, units], 0.8)?,
            c0: random(&mut rng, &[batch, units], 0.8)?,
        });
    }
    let mut x = xs.as_tensor().clone();
    let mut loss = Tensor::zeros((), candle_core::DType::F32, &Device::Cpu)?;
    let mut outputs = Vec::new();
    for (l, p) in params.iter().enumerate() {
        let w = LayerWeights {
            w_ih: &p.w_ih,
            w_hh: &p.w_hh,
            bias: &p.bias,
        };
        let (hs, cs) = recurrence(&x, w, &p.h0, &p.c0)?;
        // Every step's h and c reach the loss with their own weights, so that both output
        // gradients of the operation are exercised.
        let wh = random(&mut rng, hs.dims(), 1.0)?;
        let wc = random(&mut rng, cs.dims(), 0.3)?;
        loss = (loss + (&hs * wh.as_tensor())?.sum_all()? + (&cs * wc.as_tensor())?.sum_all()?)?;
        outputs.push((format!("layer {l} h"), hs.clone()));
        outputs.push((format!("layer {l} c"), cs));
        x = hs;
    }
    let grads = loss.backward()?;
    let mut named = outputs;
    let mut grad = |name: String, v: &Var| -> Result<()> {
        let g = grads
            .get(v.as_tensor())
            .ok_or_else(|| candle_core::Error::Msg(format!("no gradient for {name}")))?;
        named.push((format!("d {name}"), g.clone()));
        Ok(())
    };
    grad("input".into(), &xs)?;
    for (l, p) in params.iter().enumerate() {
        grad(format!("layer {l} w_ih"), &p.w_ih)?;
        grad(format!("layer {l} w_hh"), &p.w_hh)?;
        grad(format!("layer {l} bias"), &p.bias)?;
        grad(format!("layer {l} h0"), &p.h0)?;
        grad(format!("layer {l} c0"), &p.c0)?;
    }
    Ok(named)
}

fn assert_agree(dims: (usize, usize, usize, usize, usize)) {
    let fused = run(lstm_layer, dims).expect("fused");
    let reference = run(stepwise, dims).expect("stepwise");
    assert_eq!(fused.len(), reference.len());
    for ((name, a), (_, b)) in fused.iter().zip(&reference) {
        assert_eq!(a.dims(), b.dims(), "{name}: shapes differ");
        let diff = (a - b).unwrap().abs().unwrap().max_all().unwrap();
        let diff = diff.to_scalar::<f32>().unwrap();
        let scale = b
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        assert!(
            scale > 0.0,
            "{name} is all zeros at {dims:?}: the check would be empty"
        );
        assert!(
            diff <= 1e-4 * scale,
            "{name} at (batch, time, inputs, units, layers) = {dims:?}: max difference {diff} \
             against max {scale}"
        );
    }
}

#[test]
fn one_step_of_one_sequence() {
    assert_agree((1, 1, 3, 4, 1));
}

#[test]
fn one_sequence_of_many_steps() {
    assert_agree((1, 9, 5, 8, 1));
}

#[test]
fn a_batch_of_one_step() {
    assert_agree((5, 1, 4, 6, 1));
}

#[test]
fn a_batch_across_three_layers() {
    assert_agree((7, 6, 5, 8, 3));
}

#[test]
fn the_training_shape_at_a_short_window() {
    assert_agree((32, 4, 64, 128, 2));
}
