//! Sampling the next musical event (a chord and the gap after it) step by step.
//!
//! The note and offset networks each have their own RNG, so the tokens drawn do not depend
//! on how their steps interleave: the engine may spread the steps over several audio
//! buffers, or do them all at once, and get the same music.
//!
//! In the joint architecture a note step reads where its onset falls in the bar, and an
//! offset step reads the note it times: an event's note step waits until its position is
//! set ([`EventGenerator::set_position`]), and each offset step waits for its note.

use super::lstm::PackedLstm;
use super::sampler::{sample_token, sample_weighted};
use super::tables::{Chord, TokenTables};
use crate::corpus::{Meter, MAX_CHORD_NOTES};
use crate::model::{ModelError, ModelSet, NetInput, StepInput, StreamKind};
use crate::tokens::{MetricPosition, OffsetGrid, TokenMode};
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// One onset: the pitches that start together and the grid steps until the next onset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    pub chord: Chord,
    /// Always at least one step, so time moves forward.
    pub offset_steps: u32,
}

/// The event being sampled. In split mode a chord is several (note, offset) pairs whose
/// offsets are 0 until the last; a note step is only taken once the offsets before it
/// said "same onset".
#[derive(Debug, Clone, Copy, Default)]
struct Pending {
    chord: Chord,
    notes_done: usize,
    offsets_done: usize,
    /// The gap that ends the event, once sampled.
    final_offset: Option<u32>,
    /// Where the event's onset falls in its bar, once known.
    position: Option<MetricPosition>,
}

pub struct EventGenerator {
    /// The note network reads the onset's bar position: its step waits for it.
    hears_the_bar: bool,
    /// The offset network reads the note it times: its step waits for that note.
    times_its_note: bool,
    note: PackedLstm,
    offset: PackedLstm,
    tables: TokenTables,
    note_rng: Pcg64Mcg,
    offset_rng: Pcg64Mcg,
    /// The newest note token, and the one before it (what the offset network's step reads
    /// as the previous note while the newest is the note it times).
    last_note: u32,
    note_before: u32,
    last_offset: u32,
    pending: Pending,
}

/// Where an onset falls when nothing says otherwise: a 4/4 downbeat, as in free-running.
fn downbeat(grid: &OffsetGrid) -> MetricPosition {
    grid.position_in_bar(0.0, Meter::COMMON_TIME)
}

/// Distinct RNG streams for the two networks from one user seed.
fn rngs(seed: u64) -> (Pcg64Mcg, Pcg64Mcg) {
    (
        Pcg64Mcg::seed_from_u64(seed),
        Pcg64Mcg::seed_from_u64(seed ^ 0x9E37_79B9_7F4A_7C15),
    )
}

impl EventGenerator {
    /// Allocates: build off the audio thread.
    pub fn new(model: &ModelSet, seed: u64) -> Result<EventGenerator, ModelError> {
        let (note_rng, offset_rng) = rngs(seed);
        let arch = model.meta.hyper.arch;
        let mut g = EventGenerator {
            hears_the_bar: arch.inputs(StreamKind::Note).contains(&NetInput::Metric),
            times_its_note: arch
                .inputs(StreamKind::Offset)
                .contains(&NetInput::CurrentNote),
            note: PackedLstm::new(model, StreamKind::Note)?,
            offset: PackedLstm::new(model, StreamKind::Offset)?,
            tables: TokenTables::new(&model.meta),
            note_rng,
            offset_rng,
            last_note: 0,
            note_before: 0,
            last_offset: 0,
            pending: Pending::default(),
        };
        g.reset(seed);
        Ok(g)
    }

    pub fn tables(&self) -> &TokenTables {
        &self.tables
    }

    /// Fresh hidden state and RNGs; the first input tokens are drawn from the training
    /// frequencies, so each seed starts somewhere different but typical.
    pub fn reset(&mut self, seed: u64) {
        (self.note_rng, self.offset_rng) = rngs(seed);
        self.note.reset();
        self.offset.reset();
        self.last_note = sample_weighted(&self.tables.note_counts, &mut self.note_rng);
        self.note_before = self.last_note;
        self.last_offset = sample_weighted(&self.tables.offset_counts, &mut self.offset_rng);
        self.pending = Pending::default();
    }

    /// Feeds known steps (vocabulary indices, and each step's bar position) through both
    /// networks, e.g. a primer's, so sampling continues from them. The slices are read up to
    /// the shortest.
    pub fn prime(&mut self, notes: &[u32], offsets: &[u32], positions: &[MetricPosition]) {
        for ((&n, &o), &position) in notes.iter().zip(offsets).zip(positions) {
            let step = StepInput {
                prev_note: self.last_note,
                prev_offset: self.last_offset,
                current_note: n,
                position,
            };
            self.note.step(&step);
            self.offset.step(&step);
            self.note_before = self.last_note;
            self.last_note = n;
            self.last_offset = o;
        }
        self.pending = Pending::default();
    }

    /// Sets where the next onset falls in its bar: the engine calls this as soon as it
    /// knows the onset's beat. The first position set for an event holds; the seed
    /// architecture ignores it.
    pub fn set_position(&mut self, position: MetricPosition) {
        self.pending.position.get_or_insert(position);
    }

    /// Whether the next event still waits for its position (joint architecture).
    fn needs_position(&self) -> bool {
        self.hears_the_bar && self.pending.position.is_none()
    }

    fn notes_allowed(&self) -> usize {
        let p = &self.pending;
        match self.tables.mode {
            TokenMode::Chord => 1,
            TokenMode::Split if p.final_offset.is_some() => p.offsets_done,
            TokenMode::Split => p.offsets_done + 1,
        }
    }

    fn step_input(&self, current_note: u32, prev_note: u32) -> StepInput {
        StepInput {
            prev_note,
            prev_offset: self.last_offset,
            current_note,
            position: self
                .pending
                .position
                .unwrap_or_else(|| downbeat(&self.tables.grid)),
        }
    }

    fn note_step(&mut self, temperature: f32) -> bool {
        if self.pending.notes_done >= self.notes_allowed() || self.needs_position() {
            return false;
        }
        let input = self.step_input(0, self.last_note);
        let logits = self.note.step(&input);
        let token = sample_token(logits, temperature, &mut self.note_rng);
        self.note_before = self.last_note;
        self.last_note = token;
        for &p in self.tables.chords[token as usize].as_slice() {
            self.pending.chord.insert(p);
        }
        self.pending.notes_done += 1;
        true
    }

    fn offset_step(&mut self, temperature: f32) -> bool {
        if self.pending.final_offset.is_some() {
            return false;
        }
        if self.times_its_note && self.pending.notes_done <= self.pending.offsets_done {
            return false;
        }
        let input = self.step_input(self.last_note, self.note_before);
        let logits = self.offset.step(&input);
        let token = sample_token(logits, temperature, &mut self.offset_rng);
        self.last_offset = token;
        let steps = self.tables.offset_steps[token as usize];
        self.pending.offsets_done += 1;
        let ends = match self.tables.mode {
            TokenMode::Chord => true,
            TokenMode::Split => steps > 0 || self.pending.offsets_done >= MAX_CHORD_NOTES,
        };
        if ends {
            self.pending.final_offset = Some(steps.max(1));
        }
        true
    }

    pub fn is_ready(&self) -> bool {
        self.pending.final_offset.is_some() && self.pending.notes_done == self.notes_allowed()
    }

    /// At most one step of each network towards the next event: the per-buffer budget.
    pub fn work(&mut self, temperature: f32) {
        self.offset_step(temperature);
        self.note_step(temperature);
    }

    /// Completes the next event now; bounded by the chord size cap. An event whose position
    /// was never set is taken to start a 4/4 bar.
    pub fn finish(&mut self, temperature: f32) {
        let downbeat = downbeat(&self.tables.grid);
        self.set_position(downbeat);
        while !self.is_ready() {
            let progressed = self.offset_step(temperature) | self.note_step(temperature);
            debug_assert!(progressed);
            if !progressed {
                break;
            }
        }
    }

    /// Completes and hands over the next event, and starts on the one after.
    pub fn next_event(&mut self, temperature: f32) -> Event {
        self.finish(temperature);
        let p = std::mem::take(&mut self.pending);
        Event {
            chord: p.chord,
            offset_steps: p.final_offset.unwrap_or(1),
        }
    }
}
