//! `deepmidi eval`: likelihood of both networks against the unigram baseline, and
//! distribution overlaps of generated music with the corpus.

use super::baseline::Unigram;
use super::form::{form_figures, FormFigures, MATCH_DISTANCES};
use super::key::key_stability;
use super::likelihood::{score_network, StreamScore};
use super::overlap::{overlaps, OnsetSeries, Overlaps, PlayedOnset, SeriesOnset};
use crate::corpus::{predominant_meter, Corpus, Meter, Split};
use crate::generate::{generate, GenerateOptions};
use crate::model::{CandleModels, ModelSet, StreamKind};
use crate::realtime::EngineParams;
use crate::tokens::{EncodedPiece, UNKNOWN};
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Score {
    /// Mean negative log-likelihood, nats per token.
    pub nll: f64,
    /// Top-1 accuracy, 0–1.
    pub accuracy: f64,
}

impl From<StreamScore> for Score {
    fn from(s: StreamScore) -> Score {
        Score {
            nll: s.nll(),
            accuracy: s.accuracy(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StreamReport {
    pub model: Score,
    pub unigram: Score,
    /// Predicted tokens.
    pub tokens: usize,
    /// Of those, tokens not in the model's vocabulary, scored as the UNKNOWN token by both.
    pub unknown_tokens: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model: String,
    pub mode: crate::tokens::TokenMode,
    pub corpus: String,
    /// "validation" with a split file, else "all".
    pub subset: String,
    pub files: usize,
    pub onsets: usize,
    pub notes: usize,
    pub note: StreamReport,
    pub offset: StreamReport,
    /// (note + offset NLL) per predicted onset, model and baseline.
    pub model_nll_per_onset: f64,
    pub unigram_nll_per_onset: f64,
    pub generated_notes: usize,
    pub generation_seed: u64,
    pub overlap: Overlaps,
    /// The share of consecutive 32-onset windows that keep the same estimated key.
    pub key_stability: KeyStability,
    /// Where the onsets fall: the share on a counted beat and on a downbeat.
    pub metric_shares: MetricShares,
    /// The meters the generated pieces were made in (one piece per evaluated file, in its
    /// meter), and how many pieces each.
    pub generated_meters: BTreeMap<Meter, usize>,
    /// How much the music comes back (`evaluation::form`).
    pub form: FormReport,
}

/// The form figures, generated against the corpus.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FormReport {
    pub generated: FormFigures,
    pub corpus: FormFigures,
}

/// Shares of onsets, generated against the corpus's.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct MetricShares {
    pub on_beat: Shares,
    pub on_downbeat: Shares,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Shares {
    pub generated: Option<f64>,
    pub corpus: Option<f64>,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct KeyStability {
    pub generated: Option<f64>,
    pub corpus: Option<f64>,
}

/// The pieces a model is judged on: the split's validation files, or every file without a
/// split. Its name ("validation" or "all") goes into each report.
pub(super) fn evaluated_subset(
    corpus: &Corpus,
    split: Option<&Split>,
) -> Result<(Vec<usize>, &'static str)> {
    let (indices, name) = match split {
        Some(s) => (s.partition(corpus).1, "validation"),
        None => ((0..corpus.pieces.len()).collect(), "all"),
    };
    anyhow::ensure!(
        !indices.is_empty(),
        "no files of {} are in the evaluated subset",
        corpus.name
    );
    Ok((indices, name))
}

/// Evaluates on the split's validation files, or on every file without a split.
pub fn evaluate(
    model: &ModelSet,
    corpus: &Corpus,
    split: Option<&Split>,
    seed: u64,
) -> Result<EvalReport> {
    let (indices, subset) = evaluated_subset(corpus, split)?;
    let meta = &model.meta;
    let pieces: Vec<_> = indices.iter().map(|&i| &corpus.pieces[i].1).collect();
    let encoded: Vec<_> = pieces.iter().map(|p| meta.encoder().encode(p)).collect();
    let notes: Vec<Vec<u32>> = encoded.iter().map(|e| e.notes.clone()).collect();
    let offsets: Vec<Vec<u32>> = encoded.iter().map(|e| e.offsets.clone()).collect();

    let encoded_refs: Vec<&EncodedPiece> = encoded.iter().collect();
    let report_stream =
        |kind: StreamKind, data: &[Vec<u32>], counts: &[u64]| -> Result<(StreamReport, f64, f64)> {
            let refs: Vec<&[u32]> = data.iter().map(Vec::as_slice).collect();
            let net = model.network(kind)?;
            let m = score_network(&net, &encoded_refs, 32)?;
            let u = Unigram::new(counts).score(&refs);
            let unknown = refs
                .iter()
                .flat_map(|s| s.iter().skip(1))
                .filter(|&&t| t == UNKNOWN)
                .count();
            Ok((
                StreamReport {
                    model: m.into(),
                    unigram: u.into(),
                    tokens: m.tokens,
                    unknown_tokens: unknown,
                },
                m.nll_sum,
                u.nll_sum,
            ))
        };
    let (note, note_m, note_u) = report_stream(StreamKind::Note, &notes, meta.note_vocab.counts())?;
    let (offset, off_m, off_u) =
        report_stream(StreamKind::Offset, &offsets, meta.offset_vocab.counts())?;
    let onsets: usize = pieces.iter().map(|p| p.onsets.len()).sum();
    let predicted_onsets = onsets.saturating_sub(pieces.len()).max(1) as f64;
    let total_notes: usize = pieces.iter().map(|p| p.note_count()).sum();

    // One generated piece per evaluated file, as many notes long and in the meter that holds
    // longest in it, in bars from its first beat: a joint model hears them, and the onset
    // histograms are taken in them.
    let mut generated = Vec::with_capacity(pieces.len());
    let mut generated_meters = BTreeMap::new();
    for (i, piece) in pieces.iter().enumerate() {
        let meter = predominant_meter([*piece]);
        let opts = GenerateOptions {
            notes: piece.note_count(),
            seed: seed.wrapping_add(i as u64),
            meter,
            engine: EngineParams {
                temperature: 1.0,
                rhythm_temperature: 1.0,
                ..EngineParams::default()
            },
            ..Default::default()
        };
        generated.push((meter, generate(model, &opts, None)?));
        *generated_meters.entry(meter).or_insert(0) += 1;
    }
    let corpus_series = OnsetSeries {
        phrases: pieces
            .iter()
            .map(|p| SeriesOnset::of_piece(p, &meta.grid))
            .collect(),
    };
    // Each generated piece's onsets: one phrase.
    let gen_onsets: Vec<Vec<PlayedOnset>> = generated
        .iter()
        .map(|(_, perf)| PlayedOnset::of_performance(perf, &meta.grid))
        .collect();
    let gen_series = OnsetSeries {
        phrases: gen_onsets
            .iter()
            .map(|onsets| onsets.iter().map(PlayedOnset::as_series).collect())
            .collect(),
    };
    let overlap = overlaps(&gen_series, &corpus_series, u64::from(meta.grid.max_steps));
    let pitches_of = |series: &OnsetSeries| -> Option<f64> {
        key_stability(
            series
                .phrases
                .iter()
                .map(|p| p.iter().map(|o| o.pitches).collect()),
        )
    };
    let (gen_shares, corpus_shares) = (gen_series.metric_shares(), corpus_series.metric_shares());
    let metric_shares = MetricShares {
        on_beat: Shares {
            generated: gen_shares.map(|s| s.0),
            corpus: corpus_shares.map(|s| s.0),
        },
        on_downbeat: Shares {
            generated: gen_shares.map(|s| s.1),
            corpus: corpus_shares.map(|s| s.1),
        },
    };
    let key_stability = KeyStability {
        generated: pitches_of(&gen_series),
        corpus: pitches_of(&corpus_series),
    };
    let form_of = |series: &OnsetSeries| form_figures(series.phrases.iter().map(Vec::as_slice));
    let form = FormReport {
        generated: form_of(&gen_series),
        corpus: form_of(&corpus_series),
    };
    Ok(EvalReport {
        model: meta.name.clone(),
        mode: meta.mode,
        corpus: corpus.name.clone(),
        subset: subset.into(),
        files: pieces.len(),
        onsets,
        notes: total_notes,
        note,
        offset,
        model_nll_per_onset: (note_m + off_m) / predicted_onsets,
        unigram_nll_per_onset: (note_u + off_u) / predicted_onsets,
        generated_notes: generated.iter().map(|(_, p)| p.notes.len()).sum(),
        generation_seed: seed,
        overlap,
        key_stability,
        metric_shares,
        generated_meters,
        form,
    })
}

impl EvalReport {
    /// "4/4 × 40, 6/8 × 30".
    fn meters_text(&self) -> String {
        let parts: Vec<String> = self
            .generated_meters
            .iter()
            .map(|(m, n)| format!("{m} × {n}"))
            .collect();
        parts.join(", ")
    }

    /// A plain-text table for the terminal.
    pub fn table(&self) -> String {
        let row = |name: &str, s: &StreamReport| {
            format!(
                "{name:<8} {:>10.4} {:>10.4} {:>9.1}% {:>9.1}% {:>8} {:>8}\n",
                s.model.nll,
                s.unigram.nll,
                100.0 * s.model.accuracy,
                100.0 * s.unigram.accuracy,
                s.tokens,
                s.unknown_tokens
            )
        };
        let mut t = format!(
            "model {} ({:?} mode) on {} [{}]: {} files, {} onsets, {} notes\n\n",
            self.model, self.mode, self.corpus, self.subset, self.files, self.onsets, self.notes
        );
        t += &format!(
            "{:<8} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8}\n",
            "stream", "NLL model", "NLL unigr", "acc model", "acc unigr", "tokens", "unknown"
        );
        t += &row("note", &self.note);
        t += &row("offset", &self.offset);
        t += &format!(
            "\nNLL per onset (note + offset): model {:.4}, unigram {:.4} nats\n",
            self.model_nll_per_onset, self.unigram_nll_per_onset
        );
        let o = &self.overlap;
        t += &format!(
            "overlap with corpus ({} generated notes, seed {}, a piece per file in its meter: {}):\n  pitch class {:.3}, inter-onset interval {:.3}, pitch range {:.3},\n  onset in bar {:.3}, pitch interval {:.3}, notes per onset {:.3}\n",
            self.generated_notes, self.generation_seed, self.meters_text(), o.pitch_class, o.inter_onset_interval, o.pitch_range, o.onset_in_bar, o.pitch_interval, o.notes_per_onset
        );
        let share = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{:.3}", v));
        t += &format!(
            "key stability (consecutive 32-onset windows in one key): generated {}, corpus {}\n",
            share(self.key_stability.generated),
            share(self.key_stability.corpus)
        );
        let m = &self.metric_shares;
        t += &format!(
            "onsets on a beat: generated {}, corpus {}; on a downbeat: generated {}, corpus {}\n",
            share(m.on_beat.generated),
            share(m.on_beat.corpus),
            share(m.on_downbeat.generated),
            share(m.on_downbeat.corpus)
        );
        let (g, c) = (&self.form.generated, &self.form.corpus);
        let pair = |a: Option<f64>, b: Option<f64>| format!("{} vs {}", share(a), share(b));
        t += &format!(
            "form, generated vs corpus: repeated bars {}, repeated 2-bar phrases {},\n  distinct top-line 8-grams {}, best pitch-class match 1-8 bars back {}\n",
            pair(g.repeated_bars, c.repeated_bars),
            pair(g.repeated_two_bar_phrases, c.repeated_two_bar_phrases),
            pair(g.distinct_8grams, c.distinct_8grams),
            pair(g.best_match_back, c.best_match_back)
        );
        let at: Vec<String> = MATCH_DISTANCES
            .iter()
            .enumerate()
            .map(|(k, d)| format!("{d} back {}", pair(g.match_at[k], c.match_at[k])))
            .collect();
        t += &format!("  pitch-class match {}\n", at.join(", "));
        t
    }
}
