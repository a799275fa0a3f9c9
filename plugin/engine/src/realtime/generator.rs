//! Sampling the next musical event (a chord and the gap after it) step by step.
//!
//! The note and offset networks each have their own RNG, so the tokens drawn do not depend
//! on how their steps interleave: the engine may spread the steps over several audio
//! buffers, or do them all at once, and get the same music.
//!
//! In the joint architecture a note step reads where its onset falls in the bar, and an
//! offset step reads the note it times: an event's note step waits until its position is
//! set ([`EventGenerator::set_position`]), and each offset step waits for its note.
//!
//! How an event is drawn ([`Steering`]: the two temperatures and the pitch lock) can change
//! while it is being drawn ahead. Then the generator steps back to the state it had before
//! the event and draws it again under the new settings, so a change takes effect at the next
//! onset, and what is played does not depend on how far ahead the event had been drawn.

use super::lstm::{LstmState, PackedLstm};
use super::sampler::{sample_token, sample_token_where, sample_weighted};
use super::tables::{Chord, TokenTables};
use crate::corpus::{Meter, MAX_CHORD_NOTES};
use crate::harmony::{estimate_key, Key, PitchLock, PitchSet, KEY_WINDOW_ONSETS};
use crate::model::{ModelError, ModelSet, NetInput, StepInput, StreamKind};
use crate::tokens::{MetricPosition, OffsetGrid, TokenMode};
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// How events are drawn: the two temperatures and the pitch lock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Steering {
    /// Shapes the note network's choices: 0 = always its most likely note or chord.
    pub pitch_temperature: f32,
    /// Shapes the offset network's: 0 = always its most likely gap.
    pub rhythm_temperature: f32,
    pub lock: PitchLock,
}

impl Steering {
    /// Both temperatures `t`, nothing locked.
    pub fn free(temperature: f32) -> Steering {
        Steering {
            pitch_temperature: temperature,
            rhythm_temperature: temperature,
            lock: PitchLock::default(),
        }
    }
}

/// How much a keyed lock pulls the note network towards its tonic chord, in nats added to
/// the logits of the root, the third and the fifth (a chord gets its notes' mean), for major
/// and for minor scales; scaled by [`PULL_IN_KEY`] or [`PULL_OUT_OF_KEY`]. Masking alone keeps
/// the notes in the scale but not the music in the key: a model that learned mostly major
/// tunes, held to a minor scale, drifts to the relative major, which has the same notes. A
/// minor key needs its third pulled harder for the same reason.
pub const TONIC_PULL: [[f32; 3]; 2] = [[2.5, 1.0, 1.0], [2.5, 2.0, 1.0]];

/// The lock listens to the last [`KEY_WINDOW_ONSETS`] onsets it played. While a key finder
/// hears them in the lock's key, the pull is light, and the model's own line goes on; while
/// it does not (after a start or a key change, or a drift), the pull is strong until the
/// music is back. A constant pull strong enough to hold the key made the line lean on the
/// tonic and third (D, F, D, F in D dorian); this holds it nearly as well with the variety of
/// the corpus (README, key lock).
pub const PULL_IN_KEY: f32 = 0.3;
pub const PULL_OUT_OF_KEY: f32 = 2.0;

/// Notes of the tonic chord a locked stream hears before it starts in its key: root,
/// third, fifth and the octave, in the model's commonest rhythm.
pub const PRIMER_NOTES: usize = 4;

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
    /// The steering of its first draw, once drawing began.
    steering: Option<Steering>,
}

impl Pending {
    fn begun(&self) -> bool {
        self.steering.is_some()
    }
}

/// What the stream has heard and drawn besides the networks' hidden state: with those, it
/// is the whole stream, so a copy of both steps back exactly.
#[derive(Clone)]
struct Heard {
    note_rng: Pcg64Mcg,
    offset_rng: Pcg64Mcg,
    /// The newest note token, and the one before it (what the offset network's step reads
    /// as the previous note while the newest is the note it times).
    last_note: u32,
    note_before: u32,
    last_offset: u32,
    /// The key the stream was started in (by the tonic primer); `None` while unlocked.
    key: Option<Key>,
    /// The chords of the last onsets played, a ring whose next slot is `recent_next`: what
    /// the lock listens to.
    recent: [Chord; KEY_WINDOW_ONSETS],
    recent_next: usize,
}

/// The stream as it was before the pending event's first draw.
struct Snapshot {
    note: LstmState,
    offset: LstmState,
    heard: Heard,
}

pub struct EventGenerator {
    /// The note network reads the onset's bar position: its step waits for it.
    hears_the_bar: bool,
    /// The offset network reads the note it times: its step waits for that note.
    times_its_note: bool,
    note: PackedLstm,
    offset: PackedLstm,
    tables: TokenTables,
    heard: Heard,
    start: Snapshot,
    steering: Steering,
    /// `steering.lock`'s pitches, and whether that is every pitch.
    allowed: PitchSet,
    unlocked: bool,
    /// Per note index: the tonic pull of the lock's key (see [`TONIC_PULL`]), and the
    /// pulled logits of the latest step.
    pull: Vec<f32>,
    pulled: Vec<f32>,
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
        let (note, offset) = (
            PackedLstm::new(model, StreamKind::Note)?,
            PackedLstm::new(model, StreamKind::Offset)?,
        );
        let heard = Heard {
            note_rng,
            offset_rng,
            last_note: 0,
            note_before: 0,
            last_offset: 0,
            key: None,
            recent: [Chord::default(); KEY_WINDOW_ONSETS],
            recent_next: 0,
        };
        let start = Snapshot {
            note: note.new_state(),
            offset: offset.new_state(),
            heard: heard.clone(),
        };
        let mut g = EventGenerator {
            hears_the_bar: arch.inputs(StreamKind::Note).contains(&NetInput::Metric),
            times_its_note: arch
                .inputs(StreamKind::Offset)
                .contains(&NetInput::CurrentNote),
            note,
            offset,
            tables: TokenTables::new(&model.meta),
            heard,
            start,
            steering: Steering::free(0.0),
            allowed: PitchSet::ALL,
            unlocked: true,
            pull: vec![0.0; model.meta.note_vocab.len()],
            pulled: vec![0.0; model.meta.note_vocab.len()],
            pending: Pending::default(),
        };
        g.reset(seed);
        Ok(g)
    }

    pub fn tables(&self) -> &TokenTables {
        &self.tables
    }

    /// Fresh hidden state and RNGs; the first input tokens are drawn from the training
    /// frequencies, so each seed starts somewhere different but typical. A locked stream
    /// then starts in its key (see [`PRIMER_NOTES`]).
    pub fn reset(&mut self, seed: u64) {
        let h = &mut self.heard;
        (h.note_rng, h.offset_rng) = rngs(seed);
        self.note.reset();
        self.offset.reset();
        h.last_note = sample_weighted(&self.tables.note_counts, &mut h.note_rng);
        h.note_before = h.last_note;
        h.last_offset = sample_weighted(&self.tables.offset_counts, &mut h.offset_rng);
        h.key = None;
        h.recent = [Chord::default(); KEY_WINDOW_ONSETS];
        h.recent_next = 0;
        self.pending = Pending::default();
        self.mark_start();
    }

    /// Feeds known steps (vocabulary indices, and each step's bar position) through both
    /// networks, e.g. a primer's, so sampling continues from them. The slices are read up to
    /// the shortest.
    pub fn prime(&mut self, notes: &[u32], offsets: &[u32], positions: &[MetricPosition]) {
        for ((&n, &o), &position) in notes.iter().zip(offsets).zip(positions) {
            self.hear(n, o, position);
        }
        self.pending = Pending::default();
        self.mark_start();
    }

    /// Runs one known step through both networks.
    fn hear(&mut self, note: u32, offset: u32, position: MetricPosition) {
        self.hear_note(note, position);
        self.heard.last_offset = offset;
    }

    /// Runs a known note through both networks; the gap after it is not known yet.
    fn hear_note(&mut self, note: u32, position: MetricPosition) {
        let h = &mut self.heard;
        let step = StepInput {
            prev_note: h.last_note,
            prev_offset: h.last_offset,
            current_note: note,
            position,
        };
        self.note.step(&step);
        self.offset.step(&step);
        h.note_before = h.last_note;
        h.last_note = note;
    }

    /// Network steps [`EventGenerator::listen`] takes for `chord`: one, or one a note in
    /// split mode.
    pub fn steps_to_hear(&self, chord: &Chord) -> usize {
        match self.tables.mode {
            TokenMode::Chord => 1,
            TokenMode::Split => chord.as_slice().len().max(1),
        }
    }

    /// The musician played `chord` at `position`, `gap_steps` grid steps after the onset
    /// before it (`None`: nothing came before). What was drawn ahead and not played is
    /// forgotten; the networks hear the chord (the nearest the vocabulary has) as if they
    /// had played it, lowest note first in split mode, as the corpus was read. The lock's
    /// key finder hears it too.
    pub fn listen(&mut self, chord: &Chord, gap_steps: Option<u32>, position: MetricPosition) {
        self.discard_pending();
        if let Some(steps) = gap_steps {
            self.heard.last_offset = self.tables.nearest_offset(steps);
        }
        match self.tables.mode {
            TokenMode::Chord => self.hear_note(self.tables.nearest_token(chord), position),
            TokenMode::Split => {
                let same_onset = self.tables.nearest_offset(0);
                for (k, &pitch) in chord.as_slice().iter().enumerate() {
                    if k > 0 {
                        self.heard.last_offset = same_onset;
                    }
                    let mut single = Chord::default();
                    single.insert(pitch);
                    self.hear_note(self.tables.nearest_token(&single), position);
                }
            }
        }
        self.remember(*chord);
        self.mark_start();
    }

    /// The next event comes `gap_steps` after the last onset heard or played (an answer
    /// after the musician's silence), not where the network's own gap put it: what was
    /// drawn ahead is forgotten, and the next draws read that gap.
    pub fn resume_after(&mut self, gap_steps: u32) {
        self.discard_pending();
        self.heard.last_offset = self.tables.nearest_offset(gap_steps.max(1));
        self.mark_start();
    }

    /// Steps back to before the pending event's first draw; it will be drawn afresh.
    fn discard_pending(&mut self) {
        if self.pending.begun() {
            self.note.restore(&self.start.note);
            self.offset.restore(&self.start.offset);
            self.heard.clone_from(&self.start.heard);
        }
        self.pending = Pending::default();
    }

    /// Adds an onset's chord to what the lock listens to.
    fn remember(&mut self, chord: Chord) {
        let h = &mut self.heard;
        h.recent[h.recent_next] = chord;
        h.recent_next = (h.recent_next + 1) % KEY_WINDOW_ONSETS;
    }

    /// Keeps the stream as it is now, before the next event's first draw.
    fn mark_start(&mut self) {
        self.note.save(&mut self.start.note);
        self.offset.save(&mut self.start.offset);
        self.start.heard.clone_from(&self.heard);
    }

    /// Takes the settings the next draws are made under. If the pending event was begun
    /// under others, the stream steps back to before it, to draw it again.
    fn steer(&mut self, steering: &Steering) {
        if steering.lock != self.steering.lock {
            self.allowed = steering.lock.allowed();
            self.unlocked = self.allowed == PitchSet::ALL;
            self.set_pull(&steering.lock);
        }
        self.steering = *steering;
        if self.pending.steering.is_some_and(|s| s != *steering) {
            self.note.restore(&self.start.note);
            self.offset.restore(&self.start.offset);
            self.heard.clone_from(&self.start.heard);
            self.pending = Pending {
                position: self.pending.position,
                ..Pending::default()
            };
        }
    }

    /// Each note index's pull towards `lock`'s key: the mean over its pitches of the pull
    /// of their degree. Bounded by the vocabulary and chord sizes.
    fn set_pull(&mut self, lock: &PitchLock) {
        self.pull.fill(0.0);
        let Some(key) = lock.key() else {
            return;
        };
        let triad = key.scale.tonic_triad();
        let weights = TONIC_PULL[usize::from(key.scale.is_minor())];
        for (pull, chord) in self.pull.iter_mut().zip(&self.tables.chords) {
            let pitches = chord.as_slice();
            let total: f32 = pitches
                .iter()
                .map(|&p| {
                    let degree = (p + 12 - key.root.index()) % 12;
                    triad
                        .iter()
                        .position(|&t| t == degree)
                        .map_or(0.0, |k| weights[k])
                })
                .sum();
            *pull = total / pitches.len().max(1) as f32;
        }
    }

    /// Before an event's first draw: a stream whose lock asks for a key it is not in yet
    /// (after a reset, or when the key changes) first hears that key's tonic chord.
    fn begin(&mut self) {
        if self.pending.begun() {
            return;
        }
        self.pending.steering = Some(self.steering);
        let key = self.steering.lock.key();
        if key != self.heard.key {
            if let Some(key) = key {
                self.hear_tonic_chord(key);
            }
            self.heard.key = key;
        }
    }

    /// The tonic chord, arpeggiated upwards in the model's commonest gap, so that the onset
    /// after it is the pending event's. It sits around the model's usual register, within
    /// the lock's range, each note moved to the nearest allowed pitch.
    fn hear_tonic_chord(&mut self, key: Key) {
        let (lo, hi) = self.steering.lock.range();
        let centre = self.tables.centre_pitch.clamp(lo, hi);
        // The root a half octave below the centre, so the arpeggio's octave sits around it.
        let (r, below) = (i32::from(key.root.index()), i32::from(centre) - 6);
        let root = (below - (below - r).rem_euclid(12)).max(r);
        let [_, third, fifth] = key.scale.tonic_triad();
        let gap = self.tables.typical_gap;
        let gap_steps = self.tables.offset_steps[gap as usize];
        let onset = self.position();
        for (k, step) in [0, third, fifth, 12].into_iter().enumerate() {
            let pitch = (root + i32::from(step)).clamp(0, 127) as u8;
            let mut chord = Chord::default();
            chord.insert(self.allowed.nearest(pitch).unwrap_or(pitch));
            let back = (PRIMER_NOTES - k) as u32 * gap_steps % onset.bar_steps.max(1);
            let position = OffsetGrid::advance(onset, onset.bar_steps - back);
            self.hear(self.tables.nearest_token(&chord), gap, position);
        }
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

    /// The pending onset's bar position, or a 4/4 downbeat until it is known.
    fn position(&self) -> MetricPosition {
        self.pending
            .position
            .unwrap_or_else(|| downbeat(&self.tables.grid))
    }

    fn step_input(&self, current_note: u32, prev_note: u32) -> StepInput {
        StepInput {
            prev_note,
            prev_offset: self.heard.last_offset,
            current_note,
            position: self.position(),
        }
    }

    /// Draws a note token under the lock. Returns the token the networks hear next and
    /// the pitches to play: the token's own, or, when the lock allows no token at all, the
    /// model's own choice (drawn unmasked, at the same temperature: its favourite at 0) moved
    /// by octaves to the nearest allowed pitches, and the networks hear the token nearest to
    /// those. Drawn rather than always the favourite, so a melody out of the model's reach
    /// keeps its variety.
    fn draw_note(&mut self, temperature: f32) -> (u32, Chord) {
        let mut logits = self.note.logits();
        let (tables, allowed, rng) = (&self.tables, self.allowed, &mut self.heard.note_rng);
        if let Some(key) = self.steering.lock.key() {
            let heard = estimate_key(self.heard.recent.iter().flat_map(|c| c.as_slice()));
            let strength = if heard == Some(key.heard_as()) {
                PULL_IN_KEY
            } else {
                PULL_OUT_OF_KEY
            };
            for ((p, l), pull) in self.pulled.iter_mut().zip(logits).zip(&self.pull) {
                *p = l + pull * strength;
            }
            logits = &self.pulled;
        }
        if self.unlocked {
            let token = sample_token(logits, temperature, rng);
            return (token, tables.chords[token as usize]);
        }
        let fits = |i: usize| allowed.contains_all(tables.chord_sets[i]);
        if let Some(token) = sample_token_where(logits, temperature, fits, rng) {
            return (token, tables.chords[token as usize]);
        }
        let favourite = sample_token(logits, temperature, rng);
        let mut chord = Chord::default();
        for &p in tables.chords[favourite as usize].as_slice() {
            chord.insert(allowed.nearest_by_octave(p).unwrap_or(p));
        }
        (tables.nearest_token(&chord), chord)
    }

    fn note_step(&mut self) -> bool {
        if self.pending.notes_done >= self.notes_allowed() || self.needs_position() {
            return false;
        }
        self.begin();
        let input = self.step_input(0, self.heard.last_note);
        self.note.step(&input);
        let (token, chord) = self.draw_note(self.steering.pitch_temperature);
        self.heard.note_before = self.heard.last_note;
        self.heard.last_note = token;
        for &p in chord.as_slice() {
            self.pending.chord.insert(p);
        }
        self.pending.notes_done += 1;
        true
    }

    fn offset_step(&mut self) -> bool {
        if self.pending.final_offset.is_some() {
            return false;
        }
        if self.times_its_note && self.pending.notes_done <= self.pending.offsets_done {
            return false;
        }
        self.begin();
        let input = self.step_input(self.heard.last_note, self.heard.note_before);
        let logits = self.offset.step(&input);
        let temperature = self.steering.rhythm_temperature;
        let token = sample_token(logits, temperature, &mut self.heard.offset_rng);
        self.heard.last_offset = token;
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

    /// At most one step of each network towards the next event: the per-buffer budget
    /// (plus the tonic primer's [`PRIMER_NOTES`] steps when a stream starts in a key).
    pub fn work(&mut self, steering: &Steering) {
        self.steer(steering);
        self.offset_step();
        self.note_step();
    }

    /// Completes the next event now; bounded by the chord size cap, twice over if the
    /// steering changed (the primer's steps aside). An event whose position was never set
    /// is taken to start a 4/4 bar.
    pub fn finish(&mut self, steering: &Steering) {
        self.steer(steering);
        let downbeat = downbeat(&self.tables.grid);
        self.set_position(downbeat);
        while !self.is_ready() {
            let progressed = self.offset_step() | self.note_step();
            debug_assert!(progressed);
            if !progressed {
                break;
            }
        }
    }

    /// Completes and hands over the next event, and starts on the one after.
    pub fn next_event(&mut self, steering: &Steering) -> Event {
        self.finish(steering);
        let p = std::mem::take(&mut self.pending);
        self.remember(p.chord);
        self.mark_start();
        Event {
            chord: p.chord,
            offset_steps: p.final_offset.unwrap_or(1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::load_model_set;
    use std::path::PathBuf;

    fn shipped(name: &str) -> ModelSet {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../models")
            .join(name);
        load_model_set(&dir).unwrap()
    }

    /// The index a temperature of 0 must pick: the likeliest, never UNKNOWN.
    fn likeliest(logits: &[f32]) -> u32 {
        let best = (1..logits.len())
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]).then(b.cmp(&a)))
            .unwrap();
        best as u32
    }

    /// The note and gap tokens of `events` events, drawn step by step; every draw of a
    /// stream whose temperature is 0 is checked against that network's likeliest token.
    fn draws(
        model: &ModelSet,
        steering: Steering,
        seed: u64,
        events: usize,
    ) -> (Vec<u32>, Vec<u32>) {
        let mut g = EventGenerator::new(model, seed).unwrap();
        let bars = crate::realtime::Bars::default();
        let (mut notes, mut gaps, mut beat) = (Vec::new(), Vec::new(), 0.0);
        for _ in 0..events {
            g.set_position(bars.position(beat, 1.0, &g.tables.grid));
            g.steer(&steering);
            while !g.is_ready() {
                if g.offset_step() {
                    if steering.rhythm_temperature == 0.0 {
                        assert_eq!(g.heard.last_offset, likeliest(g.offset.logits()));
                    }
                    gaps.push(g.heard.last_offset);
                }
                if g.note_step() {
                    if steering.pitch_temperature == 0.0 {
                        assert_eq!(g.heard.last_note, likeliest(g.note.logits()));
                    }
                    notes.push(g.heard.last_note);
                }
            }
            let event = g.next_event(&steering);
            beat += g.tables.grid.quarters(event.offset_steps);
        }
        (notes, gaps)
    }

    /// Rhythm temperature 0 keeps the likeliest gap while pitches still vary with the seed;
    /// pitch temperature 0 the reverse.
    #[test]
    fn each_temperature_shapes_its_own_stream() {
        for name in ["irish", "bach"] {
            let model = shipped(name);
            let steady_rhythm = Steering {
                rhythm_temperature: 0.0,
                ..Steering::free(1.0)
            };
            let steady_pitch = Steering {
                pitch_temperature: 0.0,
                ..Steering::free(1.0)
            };
            let runs: Vec<_> = (1..=3)
                .map(|seed| draws(&model, steady_rhythm, seed, 300))
                .collect();
            assert!(runs.iter().all(|r| r.1.len() >= 300), "{name}");
            assert!(
                runs[0].0 != runs[1].0 && runs[1].0 != runs[2].0,
                "{name}: the pitches did not vary with the seed"
            );
            let runs: Vec<_> = (1..=3)
                .map(|seed| draws(&model, steady_pitch, seed, 300))
                .collect();
            assert!(
                runs[0].1 != runs[1].1 && runs[1].1 != runs[2].1,
                "{name}: the gaps did not vary with the seed"
            );
        }
    }
}
