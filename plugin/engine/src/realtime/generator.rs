//! Sampling the next musical event (a chord and the gap after it) step by step.
//!
//! Each network has its own RNG, so the tokens drawn do not depend on how their steps
//! interleave: the engine may spread the steps over several audio buffers, or do them all at
//! once, and get the same music. Which step comes next is the [`EventBuilder`]'s state
//! machine; the generator takes it and reports what it drew.
//!
//! How an event is drawn ([`Steering`]: the two temperatures and the pitch lock) can change
//! while it is being drawn ahead. Then the generator steps back to the state it had before
//! the event and draws it again under the new settings, so a change takes effect at the next
//! onset, and what is played does not depend on how far ahead the event had been drawn. The
//! [`StepLog`] makes that cheap: only steps whose input changed run the networks again.
//!
//! Drawing anew close to an onset would be a burst of work in the onset's buffer (a new
//! key's primer, or a split chord whose notes all change with a new temperature). So the
//! engine hands a steering change over with [`EventGenerator::take_steering`], saying
//! whether the pending onset is far enough away to draw its event anew within the work
//! allowance. If not, the event plays as drawn under the old steering, moved into a new lock
//! ([`PitchLock::move_into`]), and the next one is drawn under the new steering.

mod builder;
mod step_log;

use super::lstm::{LstmState, PackedLstm};
use super::sampler::{sample_token, sample_token_where, sample_weighted};
use super::tables::{Chord, TokenTables};
use crate::corpus::{Meter, MAX_CHORD_NOTES};
use crate::harmony::{estimate_key, Key, PitchLock, PitchSet, KEY_WINDOW_ONSETS};
use crate::model::{ModelError, ModelSet, NetInput, PerStream, StepInput, StreamKind};
use crate::tokens::{MetricPosition, OffsetGrid, TokenMode};
use builder::{EventBuilder, Next, Phase};
use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;
use step_log::StepLog;

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

/// The stream: every network's memory and RNG, and what it has heard and drawn. A copy of
/// it steps back exactly ([`EventGenerator`] keeps one from before the pending event).
struct Stream {
    states: PerStream<LstmState>,
    rngs: PerStream<Pcg64Mcg>,
    /// Each stream's newest token.
    last: PerStream<u32>,
    /// The note token before the newest (what the offset network's step reads as the
    /// previous note while the newest is the note it times).
    note_before: u32,
    /// The key the stream was started in (by the tonic primer); `None` while unlocked.
    key: Option<Key>,
    /// The chords of the last onsets played, a ring whose next slot is `recent_next`: what
    /// the lock listens to.
    recent: [Chord; KEY_WINDOW_ONSETS],
    recent_next: usize,
}

impl Stream {
    /// Becomes a copy of `other` without allocating (the states' buffers are reused).
    fn copy_from(&mut self, other: &Stream) {
        self.states.copy_from(&other.states);
        self.rngs.copy_from(&other.rngs);
        self.last = other.last;
        self.note_before = other.note_before;
        self.key = other.key;
        self.recent = other.recent;
        self.recent_next = other.recent_next;
    }
}

/// Replays of logged steps charged as one network step of the work allowance. A replay
/// copies a state and draws again from the logged scores, a small share of a step's work
/// (`perf` of `deepmidi bench`: the draws were about a sixth of the matrix products'
/// time), but a temperature moved every buffer replays the pending event's steps again in
/// every buffer: uncharged, a split chord's 32 replays could all fall in one.
pub const REPLAYS_PER_STEP: u32 = 8;

/// The most network steps one event takes: the tonic primer (both networks a note) and a
/// full split chord (a note and a gap for each of its notes). The step log's room.
pub const MOST_STEPS_PER_EVENT: usize = 2 * PRIMER_NOTES + 2 * MAX_CHORD_NOTES;

pub struct EventGenerator {
    nets: PerStream<PackedLstm>,
    /// Whether an event's steps wait for its onset's bar position (joint architecture).
    hears_the_bar: bool,
    tables: TokenTables,
    stream: Stream,
    /// The stream as it was before the pending event's first step.
    start: Stream,
    log: StepLog,
    /// Replays not yet charged to the work allowance, fewer than [`REPLAYS_PER_STEP`].
    replays_uncharged: u32,
    /// The host's steering, as last handed over; `None` before the first, which is always
    /// in time (it is no change).
    host: Option<Steering>,
    /// What the pending event is drawn under: the host's steering, unless it changed too
    /// close to the pending onset ([`EventGenerator::take_steering`]).
    steering: Steering,
    /// The steering of the pending event's first step, once it began.
    begun_with: Option<Steering>,
    lock: LockedDraw,
    pending: EventBuilder,
    /// The previous offset token from before [`EventGenerator::resume_after`], while an
    /// answer is prepared and not yet played: the musician playing again puts it back.
    resumed_from: Option<u32>,
}

/// Where an onset falls when nothing says otherwise: a 4/4 downbeat, as in free-running.
fn downbeat(grid: &OffsetGrid) -> MetricPosition {
    grid.position_in_bar(0.0, Meter::COMMON_TIME)
}

/// What the pitch lock asks of each note draw, worked out when the lock changes.
struct LockedDraw {
    /// The lock's pitches, and whether that is every pitch.
    allowed: PitchSet,
    unlocked: bool,
    /// Per note index: the tonic pull of the lock's key (see [`TONIC_PULL`]), and the
    /// pulled logits of the latest step.
    pull: Vec<f32>,
    pulled: Vec<f32>,
}

impl LockedDraw {
    fn new(vocab: usize) -> LockedDraw {
        LockedDraw {
            allowed: PitchSet::ALL,
            unlocked: true,
            pull: vec![0.0; vocab],
            pulled: vec![0.0; vocab],
        }
    }

    fn set(&mut self, lock: &PitchLock, tables: &TokenTables) {
        self.allowed = lock.allowed();
        self.unlocked = self.allowed == PitchSet::ALL;
        self.set_pull(lock, tables);
    }

    /// Each note index's pull towards `lock`'s key: the mean over its pitches of the pull
    /// of their degree. Bounded by the vocabulary and chord sizes.
    fn set_pull(&mut self, lock: &PitchLock, tables: &TokenTables) {
        self.pull.fill(0.0);
        let Some(key) = lock.key() else {
            return;
        };
        let triad = key.scale.tonic_triad();
        let weights = TONIC_PULL[usize::from(key.scale.is_minor())];
        for (pull, chord) in self.pull.iter_mut().zip(&tables.chords) {
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

    /// Draws a note token under the lock from `logits`. Returns the token the networks hear
    /// next and the pitches to play: the token's own, or, when the lock allows no token at
    /// all, the model's own choice (drawn unmasked, at the same temperature: its favourite at
    /// 0) moved by octaves to the nearest allowed pitches, and the networks hear the token
    /// nearest to those. Drawn rather than always the favourite, so a melody out of the
    /// model's reach keeps its variety. `recent`: the onsets the key finder hears.
    fn draw(
        &mut self,
        logits: &[f32],
        steering: &Steering,
        tables: &TokenTables,
        recent: &[Chord],
        rng: &mut Pcg64Mcg,
    ) -> (u32, Chord) {
        let temperature = steering.pitch_temperature;
        let mut logits = logits;
        if let Some(key) = steering.lock.key() {
            let heard = estimate_key(recent.iter().flat_map(|c| c.as_slice()));
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
        let allowed = self.allowed;
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
}

/// Distinct RNG streams for the networks from one user seed (the note network's is the
/// seed's own, as before there were more).
fn rngs(seed: u64) -> PerStream<Pcg64Mcg> {
    PerStream::from_fn(|kind| {
        let k = kind.index() as u64;
        Pcg64Mcg::seed_from_u64(seed ^ k.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    })
}

impl EventGenerator {
    /// Allocates: build off the audio thread.
    pub fn new(model: &ModelSet, seed: u64) -> Result<EventGenerator, ModelError> {
        let arch = model.meta.hyper.arch;
        let nets = PerStream::try_from_fn(|kind| PackedLstm::new(model, kind))?;
        let tables = TokenTables::new(&model.meta);
        let new_stream = || Stream {
            states: nets.map(|_, net| net.new_state()),
            rngs: rngs(seed),
            last: PerStream::default(),
            note_before: 0,
            key: None,
            recent: [Chord::default(); KEY_WINDOW_ONSETS],
            recent_next: 0,
        };
        let widest = nets.values().map(PackedLstm::vocab).max().unwrap_or(0);
        let largest = nets
            .values()
            .map(PackedLstm::new_state)
            .max_by_key(LstmState::len)
            .expect("a network per stream");
        let hears_the_bar = StreamKind::ALL
            .iter()
            .any(|&kind| arch.reads(kind, NetInput::Metric));
        let vocab = model.meta.note_vocab.len();
        let (stream, start) = (new_stream(), new_stream());
        let mut g = EventGenerator {
            nets,
            hears_the_bar,
            pending: EventBuilder::new(tables.mode, hears_the_bar),
            tables,
            stream,
            start,
            log: StepLog::new(MOST_STEPS_PER_EVENT, &largest, widest),
            replays_uncharged: 0,
            host: None,
            steering: Steering::free(0.0),
            begun_with: None,
            lock: LockedDraw::new(vocab),
            resumed_from: None,
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
        let s = &mut self.stream;
        s.rngs = rngs(seed);
        for (_, state) in s.states.iter_mut() {
            state.reset();
        }
        let (note, offset) = (StreamKind::Note, StreamKind::Offset);
        s.last[note] = sample_weighted(&self.tables.note_counts, &mut s.rngs[note]);
        s.note_before = s.last[note];
        s.last[offset] = sample_weighted(&self.tables.offset_counts, &mut s.rngs[offset]);
        s.key = None;
        s.recent = [Chord::default(); KEY_WINDOW_ONSETS];
        s.recent_next = 0;
        self.resumed_from = None;
        self.new_event();
    }

    /// Feeds known steps (vocabulary indices, and each step's bar position) through both
    /// networks, e.g. a primer's, so sampling continues from them. The slices are read up to
    /// the shortest.
    pub fn prime(&mut self, notes: &[u32], offsets: &[u32], positions: &[MetricPosition]) {
        for ((&n, &o), &position) in notes.iter().zip(offsets).zip(positions) {
            self.hear(n, o, position);
        }
        self.new_event();
    }

    /// Runs one known step through both networks; returns the network steps that ran (the
    /// log may replay them).
    fn hear(&mut self, note: u32, offset: u32, position: MetricPosition) -> u32 {
        let ran = self.hear_note(note, position);
        self.stream.last[StreamKind::Offset] = offset;
        ran
    }

    /// Runs a known note through every network; the gap after it is not known yet. Returns
    /// the network steps that ran.
    fn hear_note(&mut self, note: u32, position: MetricPosition) -> u32 {
        let s = &mut self.stream;
        let step = StepInput {
            prev: s.last,
            current: PerStream::from_fn(|kind| match kind {
                StreamKind::Note => note,
                StreamKind::Offset => 0,
            }),
            position,
        };
        let mut ran = 0;
        for (kind, net) in self.nets.iter_mut() {
            ran += u32::from(self.log.step(net, &mut s.states[kind], kind, &step).1);
        }
        s.note_before = s.last[StreamKind::Note];
        s.last[StreamKind::Note] = note;
        ran
    }

    /// Parts [`EventGenerator::listen_part`] hears `chord` in: one, or one a note in split
    /// mode. Each part steps every network once.
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
        for part in 0..self.steps_to_hear(chord) {
            self.listen_part(chord, gap_steps, position, part);
        }
    }

    /// Part `part` of [`EventGenerator::listen`] (0 ≤ `part` <
    /// [`EventGenerator::steps_to_hear`]), so that the engine can spread a chord's steps
    /// over buffers; the parts must come in order, and nothing else in between.
    pub fn listen_part(
        &mut self,
        chord: &Chord,
        gap_steps: Option<u32>,
        position: MetricPosition,
        part: usize,
    ) {
        let offset = StreamKind::Offset;
        if part == 0 {
            self.discard_pending();
            if let Some(before) = self.resumed_from.take() {
                self.stream.last[offset] = before;
            }
            if let Some(steps) = gap_steps {
                self.stream.last[offset] = self.tables.nearest_offset(steps);
            }
        }
        match self.tables.mode {
            TokenMode::Chord => {
                self.hear_note(self.tables.nearest_token(chord), position);
            }
            TokenMode::Split => {
                if part > 0 {
                    self.stream.last[offset] = self.tables.nearest_offset(0);
                }
                let mut single = Chord::default();
                if let Some(&pitch) = chord.as_slice().get(part) {
                    single.insert(pitch);
                }
                self.hear_note(self.tables.nearest_token(&single), position);
            }
        }
        if part + 1 >= self.steps_to_hear(chord) {
            self.remember(*chord);
            self.new_event();
        }
    }

    /// The next event comes `gap_steps` after the last onset heard or played (an answer
    /// after the musician's silence), not where the network's own gap put it: what was
    /// drawn ahead is forgotten, and the next draws read that gap (`None`: no onset came
    /// since the timeline jumped; the gap stays). Until the answer plays, the musician
    /// playing again ([`EventGenerator::listen`]) or [`EventGenerator::cancel_resume`] takes
    /// it back.
    pub fn resume_after(&mut self, gap_steps: Option<u32>) {
        self.discard_pending();
        if let Some(steps) = gap_steps {
            let offset = &mut self.stream.last[StreamKind::Offset];
            self.resumed_from.get_or_insert(*offset);
            *offset = self.tables.nearest_offset(steps.max(1));
        }
        self.new_event();
    }

    /// Takes back an answer's [`EventGenerator::resume_after`] that did not play.
    pub fn cancel_resume(&mut self) {
        if let Some(before) = self.resumed_from.take() {
            self.discard_pending();
            self.stream.last[StreamKind::Offset] = before;
            self.new_event();
        }
    }

    /// Steps back to before the pending event's first step; it will be drawn afresh, from a
    /// position given anew.
    fn discard_pending(&mut self) {
        if self.pending.begun() {
            self.stream.copy_from(&self.start);
        }
        self.pending = EventBuilder::new(self.tables.mode, self.hears_the_bar);
        self.begun_with = None;
        self.log.rewind();
    }

    /// Adds an onset's chord to what the lock listens to.
    fn remember(&mut self, chord: Chord) {
        let s = &mut self.stream;
        s.recent[s.recent_next] = chord;
        s.recent_next = (s.recent_next + 1) % KEY_WINDOW_ONSETS;
    }

    /// Starts the next event from the stream as it is now, kept as the snapshot to step back
    /// to.
    fn new_event(&mut self) {
        self.pending = EventBuilder::new(self.tables.mode, self.hears_the_bar);
        self.begun_with = None;
        if let Some(host) = self.host {
            self.apply(host);
        }
        self.start.copy_from(&self.stream);
        self.log.clear();
    }

    /// The host's steering, handed over before the buffer's draws. With `in_time` (the
    /// pending onset is far enough away for its event to be drawn anew within the work
    /// allowance, or none is scheduled), a change is the pending event's too; otherwise that
    /// event keeps the steering it is drawn under, and plays moved into a new lock, with no
    /// network step. Whether a change is in time depends only on when it comes and when the
    /// onset is, so the music does not depend on the buffer sizes.
    pub fn take_steering(&mut self, steering: &Steering, in_time: bool) {
        if self.host != Some(*steering) {
            let first = self.host.is_none();
            self.host = Some(*steering);
            if in_time || first {
                self.apply(*steering);
            }
        }
    }

    /// Takes the settings the next draws are made under (a change not handed over by
    /// [`EventGenerator::take_steering`] is taken in time).
    fn steer(&mut self, steering: &Steering) {
        self.take_steering(steering, true);
    }

    /// Draws the pending event under `steering`. If it was begun under other settings, the
    /// stream steps back to before it, to draw it again (the log replays every step whose
    /// input is unchanged).
    fn apply(&mut self, steering: Steering) {
        if steering.lock != self.steering.lock {
            self.lock.set(&steering.lock, &self.tables);
        }
        self.steering = steering;
        if self.begun_with.is_some_and(|s| s != steering) {
            self.stream.copy_from(&self.start);
            self.log.rewind();
            self.pending = self.pending.restarted();
            self.begun_with = None;
        }
    }

    /// The pending event's first step: it is drawn under the current steering, and a stream
    /// whose lock asks for a key it is not in yet (after a reset, or when the key changes)
    /// first hears that key's tonic chord.
    fn begin(&mut self) {
        self.begun_with = Some(self.steering);
        let key = self.steering.lock.key();
        let primer = if key != self.stream.key && key.is_some() {
            PRIMER_NOTES
        } else {
            0
        };
        self.stream.key = key;
        self.pending.begin(primer);
    }

    /// Note `index` of the tonic chord, arpeggiated upwards in the model's commonest gap,
    /// so that the onset after it is the pending event's. It sits around the model's usual
    /// register, within the lock's range, each note moved to the nearest allowed pitch.
    fn hear_primer_note(&mut self, index: usize) -> u32 {
        let Some(key) = self.stream.key else {
            return 0;
        };
        let (lo, hi) = self.steering.lock.range();
        let centre = self.tables.centre_pitch.clamp(lo, hi);
        // The root a half octave below the centre, so the arpeggio's octave sits around it.
        let (r, below) = (i32::from(key.root.index()), i32::from(centre) - 6);
        let root = (below - (below - r).rem_euclid(12)).max(r);
        let [_, third, fifth] = key.scale.tonic_triad();
        let step = [0, third, fifth, 12][index.min(PRIMER_NOTES - 1)];
        let gap = self.tables.typical_gap;
        let gap_steps = self.tables.offset_steps[gap as usize];
        let onset = self.position();
        let pitch = (root + i32::from(step)).clamp(0, 127) as u8;
        let mut chord = Chord::default();
        chord.insert(self.lock.allowed.nearest(pitch).unwrap_or(pitch));
        let back = (PRIMER_NOTES - index) as u32 * gap_steps % onset.bar_steps.max(1);
        let position = OffsetGrid::advance(onset, onset.bar_steps - back);
        self.hear(self.tables.nearest_token(&chord), gap, position)
    }

    /// Sets where the next onset falls in its bar: the engine calls this as soon as it
    /// knows the onset's beat. The first position set for an event holds; the seed
    /// architecture ignores it.
    pub fn set_position(&mut self, position: MetricPosition) {
        self.pending.set_position(position);
    }

    /// The pending onset's bar position, or a 4/4 downbeat until it is known.
    fn position(&self) -> MetricPosition {
        self.pending
            .position()
            .unwrap_or_else(|| downbeat(&self.tables.grid))
    }

    /// A draw step's input: the previous tokens, the note being timed (an offset step), and
    /// the onset's position.
    fn step_input(&self, prev_note: u32, current_note: u32) -> StepInput {
        let s = &self.stream;
        StepInput {
            prev: PerStream::from_fn(|kind| match kind {
                StreamKind::Note => prev_note,
                StreamKind::Offset => s.last[StreamKind::Offset],
            }),
            current: PerStream::from_fn(|kind| match kind {
                StreamKind::Note => current_note,
                StreamKind::Offset => 0,
            }),
            position: self.position(),
        }
    }

    /// The note network's step and draw; whether the network ran (or the log replayed it).
    fn note_step(&mut self) -> bool {
        let kind = StreamKind::Note;
        let input = self.step_input(self.stream.last[kind], 0);
        let EventGenerator {
            nets,
            log,
            stream,
            tables,
            steering,
            lock,
            pending,
            ..
        } = self;
        let (logits, ran) = log.step(&mut nets[kind], &mut stream.states[kind], kind, &input);
        let (token, chord) = lock.draw(
            logits,
            steering,
            tables,
            &stream.recent,
            &mut stream.rngs[kind],
        );
        stream.note_before = stream.last[kind];
        stream.last[kind] = token;
        pending.drew_note(chord.as_slice());
        ran
    }

    /// The offset network's step and draw; whether the network ran.
    fn offset_step(&mut self) -> bool {
        let kind = StreamKind::Offset;
        let s = &self.stream;
        let input = self.step_input(s.note_before, s.last[StreamKind::Note]);
        let EventGenerator {
            nets, log, stream, ..
        } = self;
        let (logits, ran) = log.step(&mut nets[kind], &mut stream.states[kind], kind, &input);
        let temperature = self.steering.rhythm_temperature;
        let token = sample_token(logits, temperature, &mut stream.rngs[kind]);
        stream.last[kind] = token;
        self.pending
            .drew_offset(self.tables.offset_steps[token as usize]);
        ran
    }

    /// Takes the pending event's next step; how many network steps ran (a step the log
    /// replayed costs none), `None` when it waits for its position or is ready.
    fn advance(&mut self) -> Option<u32> {
        match self.pending.next() {
            Next::WaitForPosition | Next::Done => None,
            Next::Begin => {
                self.begin();
                Some(0)
            }
            Next::HearPrimer { index } => {
                let ran = self.hear_primer_note(index);
                self.pending.heard_primer_note();
                Some(ran)
            }
            Next::DrawNote => Some(u32::from(self.note_step())),
            Next::DrawOffset => Some(u32::from(self.offset_step())),
        }
    }

    pub fn is_ready(&self) -> bool {
        self.pending.is_ready()
    }

    /// Network steps run since construction (steps the log replayed are not counted).
    pub fn network_steps(&self) -> u64 {
        self.log.ran()
    }

    /// Logged steps replayed since construction.
    pub fn replayed_steps(&self) -> u64 {
        self.log.replayed()
    }

    /// Steps towards the next event while `budget` (network steps) lasts, spending it: a
    /// step the networks run costs one, and [`REPLAYS_PER_STEP`] replays cost one. Returns the
    /// steps taken beyond the budget: hearing a primer note steps both networks, and is not
    /// split across buffers.
    pub fn work(&mut self, steering: &Steering, budget: &mut u32) -> u32 {
        self.steer(steering);
        while *budget > 0 {
            let replayed_before = self.log.replayed();
            let Some(ran) = self.advance() else {
                break;
            };
            let replays = self.replays_uncharged + (self.log.replayed() - replayed_before) as u32;
            self.replays_uncharged = replays % REPLAYS_PER_STEP;
            let cost = ran + replays / REPLAYS_PER_STEP;
            if cost > *budget {
                let over = cost - *budget;
                *budget = 0;
                return over;
            }
            *budget -= cost;
        }
        0
    }

    /// Completes the next event now, whatever it costs: bounded by the primer and the chord
    /// size cap (steps the log replays cost a copy). An event whose position was never set
    /// is taken to start a 4/4 bar.
    pub fn finish(&mut self, steering: &Steering) {
        self.steer(steering);
        self.set_position(downbeat(&self.tables.grid));
        while self.advance().is_some() {}
        debug_assert!(self.is_ready());
    }

    /// `chord`, drawn under the pending event's lock, as it plays under the host's: unchanged
    /// but after a late lock change ([`EventGenerator::take_steering`]). Then the networks go on
    /// from the newest note moved likewise, as if they had drawn it; the key's primer comes
    /// before the next event.
    fn moved_into_host_lock(&mut self, chord: Chord) -> Chord {
        let from = self.steering.lock;
        let to = self.host.map_or(from, |h| h.lock);
        if from == to {
            return chord;
        }
        let moved = |chord: &Chord| {
            let mut out = Chord::default();
            for &p in chord.as_slice() {
                out.insert(from.move_into(&to, p));
            }
            out
        };
        let last = &mut self.stream.last[StreamKind::Note];
        if let Some(newest) = self.tables.chords.get(*last as usize) {
            *last = self.tables.nearest_token(&moved(newest));
        }
        moved(&chord)
    }

    /// Completes and hands over the next event, and starts on the one after.
    pub fn next_event(&mut self, steering: &Steering) -> Event {
        self.finish(steering);
        let chord = self.moved_into_host_lock(*self.pending.chord());
        let offset_steps = match self.pending.phase() {
            Phase::Ready { offset_steps } => offset_steps,
            _ => 1,
        };
        self.remember(chord);
        self.resumed_from = None;
        self.new_event();
        Event {
            chord,
            offset_steps,
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
        let (note, offset) = (StreamKind::Note, StreamKind::Offset);
        for _ in 0..events {
            g.set_position(bars.position(beat, 1.0, &g.tables.grid));
            g.steer(&steering);
            while !g.is_ready() {
                let next = g.pending.next();
                g.advance();
                match next {
                    Next::DrawNote => {
                        if steering.pitch_temperature == 0.0 {
                            assert_eq!(g.stream.last[note], likeliest(g.nets[note].logits()));
                        }
                        notes.push(g.stream.last[note]);
                    }
                    Next::DrawOffset => {
                        if steering.rhythm_temperature == 0.0 {
                            assert_eq!(g.stream.last[offset], likeliest(g.nets[offset].logits()));
                        }
                        gaps.push(g.stream.last[offset]);
                    }
                    _ => {}
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
