//! Key adherence: how well a locked stream stays in the chosen key, as a key finder hears it.
//!
//! For a keyed scale on a root, music is generated with the lock on (the plugin's defaults
//! otherwise), cut into windows of [`KEY_WINDOW_ONSETS`] onsets, and each window's key is
//! estimated (Krumhansl–Schmuckler). Adherence is the share of windows whose estimate is the
//! chosen key: the root, major or minor by the scale's tonic triad (dorian counts as minor,
//! mixolydian as major). A key finder knows no modes, so a mode's own key is the best it can
//! say; the scale's other notes are guaranteed by the mask, this measures the tonic.

use crate::generate::{generate, GenerateOptions};
use crate::harmony::{estimate_key, KeyEstimate, KEY_WINDOW_ONSETS};
use crate::harmony::{Key, PitchClass, PitchLock, Scale};
use crate::model::{ModelError, ModelSet};
use crate::realtime::EngineParams;
use serde::Serialize;

/// One scale's adherence at every root, C first.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleAdherence {
    pub scale: String,
    pub by_root: Vec<f64>,
    pub mean: f64,
}

/// The shares of windows in the chosen key, for each keyed scale at each root, and the
/// share the unlocked model lands in each major and minor key by itself (its mean over the
/// 24 keys is 1/24 by construction; its spread shows the model's home keys).
#[derive(Debug, Clone, Serialize)]
pub struct KeyAdherence {
    pub windows_per_key: usize,
    pub scales: Vec<ScaleAdherence>,
    /// Over every scale and root.
    pub mean: f64,
    pub worst: f64,
    /// Unlocked: the share of windows estimated in the root's major key, and minor key.
    pub unlocked_major: Vec<f64>,
    pub unlocked_minor: Vec<f64>,
}

/// The estimated key of each window of a piece generated under `engine`.
fn window_keys(
    model: &ModelSet,
    engine: EngineParams,
    windows: usize,
    seed: u64,
) -> Result<Vec<Option<KeyEstimate>>, ModelError> {
    // Enough notes for the windows even if every onset were a four-note chord.
    let opts = GenerateOptions {
        notes: windows * KEY_WINDOW_ONSETS * 4,
        seed,
        meter: model.meta.meter,
        engine,
        ..Default::default()
    };
    let notes = generate(model, &opts, None)?.notes;
    // Onsets: the notes that start together.
    let mut onsets: Vec<Vec<u8>> = Vec::new();
    let mut last = f64::NAN;
    for n in &notes {
        if n.start_beats != last {
            onsets.push(Vec::new());
            last = n.start_beats;
        }
        onsets.last_mut().expect("just pushed").push(n.pitch);
    }
    Ok(onsets
        .chunks_exact(KEY_WINDOW_ONSETS)
        .take(windows)
        .map(|w| estimate_key(w.iter().flatten()))
        .collect())
}

/// Measures every keyed scale at every root with `windows` windows each.
pub fn key_adherence(
    model: &ModelSet,
    windows: usize,
    seed: u64,
) -> Result<KeyAdherence, ModelError> {
    let mut scales = Vec::new();
    let mut all = Vec::new();
    for scale in Scale::ALL.into_iter().filter(|s| s.has_key()) {
        let mut by_root = Vec::with_capacity(12);
        for root in PitchClass::all() {
            let lock = PitchLock::new(scale, root, 0, 127);
            let engine = EngineParams {
                lock,
                ..EngineParams::default()
            };
            let want = lock.key().map(Key::heard_as);
            let keys = window_keys(model, engine, windows, seed + u64::from(root.index()))?;
            let share =
                keys.iter().filter(|k| **k == want).count() as f64 / keys.len().max(1) as f64;
            by_root.push(share);
            all.push(share);
        }
        let mean = by_root.iter().sum::<f64>() / 12.0;
        scales.push(ScaleAdherence {
            scale: scale.name().to_owned(),
            by_root,
            mean,
        });
    }
    // Unlocked, the same number of windows in all.
    let free = window_keys(model, EngineParams::default(), windows * 12, seed)?;
    let share = |tonic: u8, minor: bool| {
        free.iter()
            .filter(|k| **k == Some(KeyEstimate { tonic, minor }))
            .count() as f64
            / free.len().max(1) as f64
    };
    Ok(KeyAdherence {
        windows_per_key: windows,
        mean: all.iter().sum::<f64>() / all.len().max(1) as f64,
        worst: all.iter().copied().fold(f64::INFINITY, f64::min),
        scales,
        unlocked_major: (0..12).map(|t| share(t, false)).collect(),
        unlocked_minor: (0..12).map(|t| share(t, true)).collect(),
    })
}

impl KeyAdherence {
    /// A Markdown table: a row a scale, a column a root, percentages.
    pub fn table(&self) -> String {
        let pct = |x: f64| format!("{:.0}", 100.0 * x);
        let mut out = String::from("| scale |");
        for root in PitchClass::all() {
            out += &format!(" {root} |");
        }
        out += " mean |\n|---|";
        out += &"---:|".repeat(13);
        out.push('\n');
        let mut row = |name: &str, shares: &[f64], mean: f64| {
            out += &format!("| {name} |");
            for &s in shares {
                out += &format!(" {} |", pct(s));
            }
            out += &format!(" **{}** |\n", pct(mean));
        };
        for s in &self.scales {
            row(&s.scale, &s.by_root, s.mean);
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        row(
            "unlocked, in major",
            &self.unlocked_major,
            mean(&self.unlocked_major),
        );
        row(
            "unlocked, in minor",
            &self.unlocked_minor,
            mean(&self.unlocked_minor),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A locked stream is heard in its key in most windows, far more often than the model
    /// lands there by itself, for a major and a minor key neither corpus is in.
    #[test]
    fn the_lock_puts_the_music_in_its_key() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/irish");
        let model = crate::model::load_model_set(&dir).unwrap();
        for (scale, root) in [(Scale::Major, 1), (Scale::NaturalMinor, 8)] {
            let lock = PitchLock::new(scale, PitchClass::of(root), 0, 127);
            let engine = EngineParams {
                lock,
                ..EngineParams::default()
            };
            let want = lock.key().map(Key::heard_as);
            let keys = window_keys(&model, engine, 12, 3).unwrap();
            let free = window_keys(&model, EngineParams::default(), 12, 3).unwrap();
            let share = |k: &[Option<KeyEstimate>]| k.iter().filter(|k| **k == want).count();
            assert!(
                share(&keys) >= 9,
                "{scale} on {root}: {} of 12",
                share(&keys)
            );
            assert!(
                share(&keys) >= share(&free) + 6,
                "{scale} on {root}: {} locked, {} free",
                share(&keys),
                share(&free)
            );
        }
    }
}
