//! How well a network predicts held-out pieces: NLL per token and top-1 accuracy.
//!
//! Each piece is run from a zero state through to its end, as the generator runs, and every
//! token but the first is predicted from all that came before it in the piece.

use crate::model::{Network, PerStream, StepBatch, StepInput};
use crate::tokens::{EncodedPiece, MetricPosition};
use crate::training::next_steps;
use candle_core::{DType, Device, Result, Tensor, D};

/// Sums over the predicted tokens of one stream.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreamScore {
    pub nll_sum: f64,
    pub tokens: usize,
    pub correct: usize,
}

impl StreamScore {
    pub fn nll(&self) -> f64 {
        self.nll_sum / self.tokens.max(1) as f64
    }
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.tokens.max(1) as f64
    }
}

/// Scores `net` on its stream of the given pieces, batching pieces of similar length.
pub fn score_network(
    net: &Network,
    pieces: &[&EncodedPiece],
    batch_size: usize,
) -> Result<StreamScore> {
    let mut order: Vec<&EncodedPiece> = pieces
        .iter()
        .copied()
        .filter(|p| p.notes.len() >= 2)
        .collect();
    order.sort_by_key(|p| p.notes.len());
    let kind = net.shape().kind;
    let padding = StepInput {
        prev: PerStream::default(),
        current: PerStream::default(),
        position: MetricPosition {
            step_in_bar: 0,
            bar_steps: 1,
            beat_steps: 1,
        },
    };
    let mut score = StreamScore::default();
    for group in order.chunks(batch_size.max(1)) {
        let t = group.iter().map(|p| p.notes.len() - 1).max().unwrap_or(0);
        let b = group.len();
        let mut steps = vec![padding; b * t];
        let mut targets = vec![0u32; b * t];
        let mut mask = vec![0f32; b * t];
        for (row, p) in group.iter().enumerate() {
            let stream = p.stream(kind);
            for (k, step) in next_steps(p.streams(), &p.positions).enumerate() {
                steps[row * t + k] = step;
                targets[row * t + k] = stream[k + 1];
                mask[row * t + k] = 1.0;
            }
        }
        let dev = Device::Cpu;
        let steps = StepBatch::new(&steps, b, t)?;
        let (logits, _) = net.forward(&steps, &net.zero_state(b)?, None)?;
        let logits = logits.detach().reshape((b * t, ()))?;
        let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let target_t = Tensor::from_vec(targets.clone(), (b * t, 1), &dev)?;
        let picked = log_probs.gather(&target_t, 1)?.squeeze(1)?;
        let mask_t = Tensor::from_vec(mask.clone(), b * t, &dev)?;
        score.nll_sum -= f64::from((picked * &mask_t)?.sum_all()?.to_scalar::<f32>()?);
        let best = logits
            .argmax(D::Minus1)?
            .to_dtype(DType::U32)?
            .to_vec1::<u32>()?;
        for i in 0..b * t {
            if mask[i] > 0.0 {
                score.tokens += 1;
                score.correct += usize::from(best[i] == targets[i]);
            }
        }
    }
    Ok(score)
}
