//! `deepmidi generate`: the plugin's own event generator, laid out in exact beats.

use super::performance::{Performance, PlayedNote};
use crate::corpus::Piece;
use crate::model::{ModelError, ModelSet};
use crate::realtime::{Bars, EngineParams, EventGenerator};

#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Exactly this many notes are produced (a chord counts each of its notes), unless
    /// `bars` ends the music first.
    pub notes: usize,
    pub seed: u64,
    pub bpm: f64,
    /// The time signature of the written music (the model's, unless asked otherwise).
    pub meter: crate::corpus::Meter,
    /// The plugin's knobs: temperatures, pitch lock, tempo scale, gate, velocity.
    pub engine: EngineParams,
    /// Stop at the end of this many bars of `meter` (as stretched by the tempo scale), so a
    /// continuation can be held against a stretch of music of known length.
    pub bars: Option<u32>,
}

impl Default for GenerateOptions {
    /// The engine's defaults (the plugin's), 200 notes at 120 BPM.
    fn default() -> Self {
        GenerateOptions {
            notes: 200,
            seed: 1,
            bpm: 120.0,
            meter: Default::default(),
            engine: EngineParams::default(),
            bars: None,
        }
    }
}

/// Samples a performance. With a primer, its tokens run through both networks first, and
/// the generated notes continue from where it ends (the primer itself is not included).
pub fn generate(
    model: &ModelSet,
    opts: &GenerateOptions,
    primer: Option<&Piece>,
) -> Result<Performance, ModelError> {
    let mut gen = EventGenerator::new(model, opts.seed)?;
    if let Some(piece) = primer {
        let primer = model.meta.encoder().encode(piece);
        gen.prime(&primer.notes, &primer.offsets, &primer.positions);
    }
    let (grid, engine) = (model.meta.grid, opts.engine);
    let steering = engine.steering();
    // Bars of the asked meter from beat 0: the continuation of a primer starts on a downbeat.
    let bars = Bars {
        start: 0.0,
        meter: opts.meter,
    };
    // Gaps are sums of grid steps in floating point: an onset a hair before the end is on it.
    let end = opts.bars.map_or(f64::INFINITY, |n| {
        f64::from(n) * opts.meter.bar_quarters() * engine.stretch() - 1e-6
    });
    // `notes` may be usize::MAX when `bars` decides the length.
    let mut out = Vec::with_capacity(opts.notes.min(1 << 16));
    let mut beat = 0.0;
    while out.len() < opts.notes && beat < end {
        gen.set_position(bars.position(beat, engine.stretch(), &grid));
        let event = gen.next_event(&steering);
        let (placement, notes) = engine.notes_of(&event, &grid);
        for note in notes.take(opts.notes - out.len()) {
            out.push(PlayedNote {
                start_beats: beat,
                length_beats: note.length,
                pitch: note.pitch.as_int(),
                velocity: note.velocity.get(),
            });
        }
        beat += placement.gap;
    }
    Ok(Performance {
        notes: out,
        bpm: opts.bpm,
        meter: opts.meter,
    })
}
