//! `deepmidi generate`: the plugin's own event generator, laid out in exact beats.

use super::performance::{Performance, PlayedNote};
use crate::corpus::Piece;
use crate::model::{ModelError, ModelSet};
use crate::realtime::{EventGenerator, MAX_NOTE_BEATS};
use crate::tokens::piece_streams;

#[derive(Debug, Clone, PartialEq)]
pub struct GenerateOptions {
    /// Exactly this many notes are produced (a chord counts each of its notes).
    pub notes: usize,
    pub temperature: f32,
    pub tempo_scale: f64,
    pub seed: u64,
    /// Note length as a fraction of the gap to the next onset.
    pub gate: f64,
    pub velocity: u8,
    pub bpm: f64,
    pub beats_per_bar: f64,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            notes: 200,
            temperature: 0.8,
            tempo_scale: 1.0,
            seed: 1,
            gate: 0.9,
            velocity: 90,
            bpm: 120.0,
            beats_per_bar: 4.0,
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
        let meta = &model.meta;
        let streams = piece_streams(piece, &meta.grid, meta.mode);
        let notes: Vec<u32> = streams
            .notes
            .iter()
            .map(|n| meta.note_vocab.index_of(n))
            .collect();
        let offsets: Vec<u32> = streams
            .offsets
            .iter()
            .map(|o| meta.offset_vocab.index_of(o))
            .collect();
        gen.prime(&notes, &offsets);
    }
    let grid = model.meta.grid;
    let mut out = Vec::with_capacity(opts.notes);
    let mut beat = 0.0;
    while out.len() < opts.notes {
        let event = gen.next_event(opts.temperature);
        let gap = grid.quarters(event.offset_steps) * opts.tempo_scale;
        let length = (gap * opts.gate).min(MAX_NOTE_BEATS);
        for &pitch in event.chord.as_slice().iter().take(opts.notes - out.len()) {
            out.push(PlayedNote {
                start_beats: beat,
                length_beats: length,
                pitch,
                velocity: opts.velocity,
            });
        }
        beat += gap;
    }
    Ok(Performance {
        notes: out,
        bpm: opts.bpm,
        beats_per_bar: opts.beats_per_bar,
    })
}
