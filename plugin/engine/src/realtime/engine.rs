//! The engine: model sampling placed sample-accurately on the host's timeline.
//!
//! Onsets are scheduled in beats (next onset = previous onset + offset × tempo scale) and
//! turned into sample positions only when their buffer comes, through the timeline's anchor.
//! The event after the next one is sampled ahead, and the musician's notes are heard, within
//! a work allowance earned by the audio rendered ([`super::budget`]), so no buffer pays for a
//! whole chord's worth of model steps.

use super::budget::{seconds_to_earn, WorkBudget};
use super::generator::{EventGenerator, Steering, MOST_STEPS_PER_EVENT};
use super::listener::{Listener, Listening, Turn, CHORD_WINDOW_SECONDS};
use super::timeline::{next_boundary, Anchor, Continuity, Transport, FREE_RUN_BPM};
use crate::controls;
use crate::corpus::Meter;
use crate::harmony::{PitchClass, PitchLock, Scale};
use crate::model::{ModelError, ModelSet, StreamKind};
use crate::tokens::{MetricPosition, OffsetGrid};

/// No note lasts longer than this many beats, whatever the gap to the next onset.
pub const MAX_NOTE_BEATS: f64 = 8.0;
/// A loop end this close after a buffer's end is taken to be at its end: hosts that split
/// the buffer at the loop end may report a loop end rounded to their ticks.
const LOOP_END_SLACK_BEATS: f64 = 1.0 / 480.0;
/// Cap on onsets in one buffer; only reachable with absurd settings, it bounds the work.
const MAX_ONSETS_PER_BUFFER: usize = 64;

/// Where an event's notes go, in beats: the gap to the next onset and each note's length.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub gap: f64,
    pub length: f64,
}

/// The knobs that shape the stream, read every buffer. Their defaults, ranges and clamps are
/// [`crate::controls`]'.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EngineParams {
    /// Shapes pitch: 0 = always the note network's most likely note or chord; higher =
    /// more adventurous.
    pub temperature: f32,
    /// Shapes rhythm the same way, through the offset network's gaps.
    pub rhythm_temperature: f32,
    /// The scale, root and note range the notes are held to.
    pub lock: PitchLock,
    /// Stretches every gap: 2 = half speed.
    pub tempo_scale: f64,
    /// Note length as a fraction of the gap to the next onset (0.05–1).
    pub gate: f64,
    pub velocity: u8,
    /// MIDI channel, 0-based.
    pub channel: u8,
    /// Start on the next bar line instead of the next beat (and answer on one).
    pub sync_to_bar: bool,
    /// Call and response with the musician's notes; `None`: play on without listening.
    pub listen: Option<Listening>,
}

impl EngineParams {
    /// The one placement formula (the plugin and `deepmidi generate` share it): the gap is
    /// the offset's grid steps stretched by the tempo scale; a note lasts the gate's share of
    /// it, never longer than [`MAX_NOTE_BEATS`].
    pub fn place(&self, grid: &OffsetGrid, offset_steps: u32) -> Placement {
        let gap = grid.quarters(offset_steps) * self.stretch();
        let length = (gap * controls::GATE.clamp(self.gate)).min(MAX_NOTE_BEATS);
        Placement { gap, length }
    }

    /// How the generator draws under these settings.
    pub fn steering(&self) -> Steering {
        Steering {
            pitch_temperature: self.temperature,
            rhythm_temperature: self.rhythm_temperature,
            lock: self.lock,
        }
    }

    /// The tempo scale as applied: kept within the Tempo Scale control's range.
    pub fn stretch(&self) -> f64 {
        controls::TEMPO_SCALE.clamp(self.tempo_scale)
    }
}

impl Default for EngineParams {
    fn default() -> Self {
        let lock = PitchLock::new(
            Scale::at(controls::SCALE.default as usize),
            PitchClass::of(controls::ROOT.default as u8),
            controls::LOWEST.default as u8,
            controls::HIGHEST.default as u8,
        );
        EngineParams {
            temperature: controls::TEMPERATURE.default as f32,
            rhythm_temperature: controls::RHYTHM_TEMPERATURE.default as f32,
            lock,
            tempo_scale: controls::TEMPO_SCALE.default,
            gate: controls::GATE.default,
            velocity: controls::VELOCITY.default as u8,
            channel: (controls::CHANNEL.default - 1) as u8,
            sync_to_bar: controls::SYNC_TO_BAR.default,
            listen: controls::LISTEN.default.then(|| {
                controls::listening(
                    controls::ANSWER_AFTER.default,
                    controls::ANSWER_LENGTH.default,
                )
            }),
        }
    }
}

/// A note event at a sample offset inside the current buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineEvent {
    NoteOn {
        sample: u32,
        pitch: u8,
        velocity: u8,
        channel: u8,
    },
    NoteOff {
        sample: u32,
        pitch: u8,
        channel: u8,
    },
}

impl EngineEvent {
    pub fn sample(&self) -> u32 {
        match *self {
            EngineEvent::NoteOn { sample, .. } | EngineEvent::NoteOff { sample, .. } => sample,
        }
    }

    pub fn pitch(&self) -> u8 {
        match *self {
            EngineEvent::NoteOn { pitch, .. } | EngineEvent::NoteOff { pitch, .. } => pitch,
        }
    }

    pub fn channel(&self) -> u8 {
        match *self {
            EngineEvent::NoteOn { channel, .. } | EngineEvent::NoteOff { channel, .. } => channel,
        }
    }

    /// The velocity of a note-on; `None` for a note-off.
    pub fn velocity(&self) -> Option<u8> {
        match *self {
            EngineEvent::NoteOn { velocity, .. } => Some(velocity),
            EngineEvent::NoteOff { .. } => None,
        }
    }
}

/// Bars as the engine counts them: where one starts, in beats, and the meter. The host's,
/// or 4/4 from beat 0 free-running; `deepmidi generate` lays its music into them too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bars {
    pub start: f64,
    pub meter: Meter,
}

impl Default for Bars {
    fn default() -> Self {
        Bars {
            start: 0.0,
            meter: Meter::COMMON_TIME,
        }
    }
}

impl Bars {
    fn of(transport: &Transport, free_run: bool) -> Bars {
        if free_run {
            return Bars::default();
        }
        Bars {
            start: transport.bar_start_beats.unwrap_or(0.0),
            meter: transport.meter.unwrap_or(Meter::COMMON_TIME),
        }
    }

    /// Where an onset at `beat` falls in the model's bar. With a tempo scale the model's
    /// music is stretched, so its bar is too: at a scale of 2 a model bar spans two host
    /// bars, its downbeat on the first.
    pub fn position(&self, beat: f64, stretch: f64, grid: &OffsetGrid) -> MetricPosition {
        let span = self.meter.bar_quarters() * stretch;
        grid.position_in_bar((beat - self.start).rem_euclid(span) / stretch, self.meter)
    }
}

/// What the host's transport says of time: whether it plays, its tempo, and its exact
/// position; a host without a valid tempo or position free-runs (playing, at
/// [`FREE_RUN_BPM`] without a tempo).
struct HostClock {
    playing: bool,
    bpm: f64,
    position: Option<f64>,
}

impl HostClock {
    fn of(transport: &Transport) -> HostClock {
        let valid_tempo = transport.tempo_bpm.filter(|t| t.is_finite() && *t > 0.0);
        let (playing, bpm, position) = match valid_tempo {
            Some(bpm) => match transport.exact_position(bpm) {
                Some(position) => (transport.playing, bpm, Some(position)),
                None => (true, bpm, None),
            },
            None => (true, FREE_RUN_BPM, None),
        };
        HostClock {
            playing,
            bpm,
            position,
        }
    }
}

/// The beat an answer starts at: the first beat (or bar, with Sync to bar) at least Answer
/// After beats after the musician fell silent at `silent`.
fn answer_beat(
    silent: f64,
    listen: &Listening,
    anchor: &Anchor,
    transport: &Transport,
    params: &EngineParams,
) -> f64 {
    next_boundary(
        silent + listen.answer_after,
        transport,
        params.sync_to_bar,
        anchor.half_sample(),
    )
}

/// Where the engine placed the buffer it processed last on the timeline: what a window
/// needs to draw that buffer's notes in beats, and its playhead and bar lines.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedBuffer {
    anchor: Anchor,
    /// The engine clock at the buffer's first sample.
    start: i64,
    /// The bars the buffer was played in: the host's, or 4/4 from beat 0 free-running.
    pub bars: Bars,
}

impl PlacedBuffer {
    /// The beat at `sample` of the buffer, on the same clock the engine placed its notes by.
    pub fn beat_of(&self, sample: u32) -> f64 {
        self.anchor.beat_at(self.start + i64::from(sample))
    }

    /// The tempo the buffer was played at (the host's, or [`FREE_RUN_BPM`] free-running).
    pub fn bpm(&self) -> f64 {
        self.anchor.bpm
    }
}

#[derive(Debug, Clone, Copy)]
struct Sounding {
    off_beat: f64,
    channel: u8,
}

pub struct Engine {
    generator: EventGenerator,
    sample_rate: f64,
    /// One slot per MIDI pitch: a pitch is either sounding (with its end) or not.
    sounding: [Option<Sounding>; 128],
    /// When the next event starts, in beats; `None` until playback starts.
    next_onset: Option<f64>,
    anchor: Option<Anchor>,
    /// The bars of the latest buffer.
    bars: Bars,
    /// Where the latest buffer lay on the timeline; `None` when it was not placed (stopped).
    placed: Option<PlacedBuffer>,
    /// Samples processed since construction.
    clock: i64,
    /// The musician's notes and whose turn it is.
    listener: Listener,
    /// Whether the latest buffer listened.
    listening: bool,
    /// The beat of the latest onset the networks heard or played, while the timeline has
    /// not jumped since: what the gap to the next one is counted from.
    last_onset: Option<f64>,
    /// The network steps the buffer being rendered may still take.
    budget: WorkBudget,
    /// The beat of the answer the generator was told to prepare (its gap and position),
    /// while the musician is silent and everything they played was heard.
    answer_at: Option<f64>,
}

impl Engine {
    /// Allocates (weights, buffers): build off the audio thread.
    pub fn new(model: &ModelSet, sample_rate: f64, seed: u64) -> Result<Engine, ModelError> {
        Ok(Engine {
            generator: EventGenerator::new(model, seed)?,
            sample_rate: sample_rate.max(1.0),
            sounding: [None; 128],
            next_onset: None,
            anchor: None,
            bars: Bars::default(),
            placed: None,
            clock: 0,
            listener: Listener::new(),
            listening: false,
            last_onset: None,
            budget: WorkBudget::default(),
            answer_at: None,
        })
    }

    pub fn set_sample_rate(&mut self, sample_rate: f64) {
        self.sample_rate = sample_rate.max(1.0);
        self.anchor = None;
        self.placed = None;
        self.next_onset = None;
    }

    /// Where the buffer processed last lay on the timeline; `None` when it was not placed
    /// (the transport stopped), and after a reset or a new sample rate until the next buffer.
    pub fn placed(&self) -> Option<PlacedBuffer> {
        self.placed
    }

    /// Network steps run since construction: the work the allowance bounds.
    pub fn network_steps(&self) -> u64 {
        self.generator.network_steps()
    }

    /// Logged steps replayed since construction: the allowance bounds these too, a fraction
    /// of a step each.
    pub fn replayed_steps(&self) -> u64 {
        self.generator.replayed_steps()
    }

    pub fn sounding_notes(&self) -> usize {
        self.sounding.iter().filter(|s| s.is_some()).count()
    }

    /// Ends every sounding note at `sample`.
    pub fn all_notes_off(&mut self, sample: u32, out: &mut impl FnMut(EngineEvent)) {
        for (pitch, slot) in self.sounding.iter_mut().enumerate() {
            if let Some(s) = slot.take() {
                out(EngineEvent::NoteOff {
                    sample,
                    pitch: pitch as u8,
                    channel: s.channel,
                });
            }
        }
    }

    /// Silence, a fresh hidden state and the seed's RNG streams; playback re-syncs to the
    /// next beat (or bar).
    pub fn reset(&mut self, seed: u64, out: &mut impl FnMut(EngineEvent)) {
        self.all_notes_off(0, out);
        self.generator.reset(seed);
        self.anchor = None;
        self.placed = None;
        self.next_onset = None;
        self.listener.forget();
        self.last_onset = None;
        self.answer_at = None;
    }

    /// Works out this buffer's place on the timeline; returns `None` while stopped.
    fn follow_transport(
        &mut self,
        transport: &Transport,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) -> Option<Anchor> {
        let HostClock {
            playing,
            bpm,
            position: host_position,
        } = HostClock::of(transport);
        let free_run = host_position.is_none();
        self.bars = Bars::of(transport, free_run);
        if !playing {
            if self.anchor.take().is_some() {
                self.all_notes_off(0, out);
            }
            self.next_onset = None;
            return None;
        }
        let anchor_at = |engine: &Engine, position: f64| {
            Anchor::new(engine.clock, position, bpm, engine.sample_rate, free_run)
        };
        match self.anchor {
            None => self.restart(
                anchor_at(self, host_position.unwrap_or(0.0)),
                transport,
                params,
            ),
            Some(a) if a.free_run != free_run => {
                self.all_notes_off(0, out);
                self.restart(
                    anchor_at(self, host_position.unwrap_or(0.0)),
                    transport,
                    params,
                );
            }
            Some(a) => {
                let predicted = a.beat_at(self.clock);
                let position = host_position.unwrap_or(predicted);
                match Continuity::of(position, predicted) {
                    Continuity::Jump => {
                        self.all_notes_off(0, out);
                        self.restart(anchor_at(self, position), transport, params);
                    }
                    // The schedule is in beats: moving the anchor keeps every note.
                    Continuity::Drift => self.anchor = Some(anchor_at(self, position)),
                    // Rounding: our own count is the exact one. A new tempo takes effect here.
                    Continuity::Steady if bpm != a.bpm => {
                        self.anchor = Some(anchor_at(self, predicted))
                    }
                    Continuity::Steady => {}
                }
            }
        }
        self.anchor
    }

    /// Playback (re)starts at `anchor`'s position: the next onset on the next beat (or bar),
    /// or, listening, a silence the musician began before the jump goes on from here.
    fn restart(&mut self, anchor: Anchor, transport: &Transport, params: &EngineParams) {
        let position = anchor.beat;
        let hair = anchor.half_sample();
        self.anchor = Some(anchor);
        self.last_onset = None;
        if params.listen.is_some() {
            self.next_onset = None;
            self.listener.restart(position);
            self.forget_prepared_answer();
        } else {
            let onset = next_boundary(position, transport, params.sync_to_bar, hair);
            self.schedule(onset, params);
        }
    }

    /// Where this buffer reaches the end of the host's loop, if it does: the sample (at most
    /// `frames`) and the beat. Hosts jump back at the loop end, some splitting the buffer
    /// there and some at the next buffer: either way the notes must end here, before the
    /// jump. A loop end just past this buffer (a rounded loop end) counts as here.
    fn loop_end(&self, frames: u32, anchor: &Anchor, transport: &Transport) -> Option<(u32, f64)> {
        if anchor.free_run {
            return None;
        }
        let (_, end) = transport.active_loop()?;
        let end_sample = anchor.sample_of(end) - self.clock;
        let slack = (LOOP_END_SLACK_BEATS * anchor.samples_per_beat).ceil() as i64;
        (end_sample >= 1 && end_sample <= i64::from(frames) + slack)
            .then(|| (end_sample.min(i64::from(frames)) as u32, end))
    }

    /// Renders one buffer of `frames` samples: calls `out` with this buffer's events in time
    /// order, each with `sample < frames`.
    pub fn process(
        &mut self,
        frames: u32,
        transport: &Transport,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) {
        self.process_with_input(frames, transport, params, &[], out);
    }

    /// [`Engine::process`], hearing the musician's notes: `input` in time order, each with
    /// `sample < frames`. With `params.listen` off, only which notes are held is kept.
    pub fn process_with_input(
        &mut self,
        frames: u32,
        transport: &Transport,
        params: &EngineParams,
        input: &[EngineEvent],
        out: &mut impl FnMut(EngineEvent),
    ) {
        let mut steps = self.budget.earn(frames, self.sample_rate);
        let steps_before = self.network_steps();
        self.follow_listen_switch(params, out);
        let anchor = self.follow_transport(transport, params, out);
        let in_time = self.steering_change_in_time(anchor.as_ref());
        self.generator.take_steering(&params.steering(), in_time);
        self.placed = anchor.map(|anchor| PlacedBuffer {
            anchor,
            start: self.clock,
            bars: self.bars,
        });
        match anchor {
            Some(anchor) => {
                let loop_end = self.loop_end(frames, &anchor, transport);
                let (end, end_beat) = loop_end.unwrap_or((frames, f64::INFINITY));
                for e in input {
                    let at = e.sample().min(frames.saturating_sub(1));
                    self.render(at.min(end), end_beat, &anchor, transport, params, out);
                    self.take_input(e, at, &anchor, params, out);
                }
                self.render(end, end_beat, &anchor, transport, params, out);
                if loop_end.is_some() {
                    self.all_notes_off(end.min(frames.saturating_sub(1)), out);
                }
            }
            // Stopped: nothing is placed on a timeline, but held notes are followed.
            None => input.iter().for_each(|e| self.listener.follow_held(e)),
        }
        let window = self.chord_window();
        self.listener
            .close_before(self.clock + i64::from(frames), window);
        // What playing this buffer's onsets could not leave undone comes off the allowance.
        let forced = self.network_steps() - steps_before;
        steps = steps.saturating_sub(u32::try_from(forced).unwrap_or(u32::MAX));
        self.feed(params, &mut steps);
        let draw_ahead = match (params.listen, self.listener.turn(), anchor) {
            (None, ..) | (Some(_), Turn::Answering { .. }, _) => true,
            (
                Some(listen),
                Turn::Listening {
                    silent_since: Some(silent),
                },
                Some(anchor),
            ) => self.prepare_answer(silent, &listen, &anchor, transport, params),
            (Some(_), Turn::Listening { .. }, _) => false,
        };
        if draw_ahead {
            let over = self.generator.work(&params.steering(), &mut steps);
            self.budget.borrow(over);
        }
        self.clock += i64::from(frames);
    }

    /// Whether a steering change coming now leaves the allowance time to draw the next
    /// onset's event anew (after a new key's primer) before it is due; else that event plays
    /// as drawn, moved into a new lock ([`EventGenerator::take_steering`]). With no onset
    /// placed, it is in time.
    fn steering_change_in_time(&self, anchor: Option<&Anchor>) -> bool {
        let (Some(anchor), Some(onset)) = (anchor, self.next_onset) else {
            return true;
        };
        let lead = (anchor.sample_of(onset) - self.clock) as f64;
        lead >= seconds_to_earn(MOST_STEPS_PER_EVENT) * self.sample_rate
    }

    /// Listen switched on: silence, and wait for the musician. Off: play on from the next
    /// beat (or bar), as when the transport starts.
    fn follow_listen_switch(&mut self, params: &EngineParams, out: &mut impl FnMut(EngineEvent)) {
        let on = params.listen.is_some();
        if on == self.listening {
            return;
        }
        self.listening = on;
        self.all_notes_off(0, out);
        self.next_onset = None;
        self.listener.wait();
        self.forget_prepared_answer();
        if !on {
            self.anchor = None;
        }
    }

    /// Renders up to sample `until` of this buffer, whoever's turn it is; onsets only
    /// before beat `onsets_before`.
    fn render(
        &mut self,
        until: u32,
        onsets_before: f64,
        anchor: &Anchor,
        transport: &Transport,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) {
        let Some(listen) = params.listen else {
            return self.emit_due(until, onsets_before, anchor, params, out);
        };
        let clock = self.clock;
        let due = |beat: f64| anchor.sample_of(beat) - clock < i64::from(until);
        // The musician's silence may end in this stretch: the answer starts.
        if let Turn::Listening {
            silent_since: Some(silent),
        } = self.listener.turn()
        {
            let at = answer_beat(silent, &listen, anchor, transport, params);
            if at < onsets_before && due(at) {
                self.start_answer(at, &listen, params);
            }
        }
        match self.listener.turn() {
            // The musician's turn: only the answer's last notes end.
            Turn::Listening { .. } => self.emit_due(until, f64::NEG_INFINITY, anchor, params, out),
            Turn::Answering { ends } => {
                let onsets_until = ends.map_or(onsets_before, |ends| onsets_before.min(ends));
                self.emit_due(until, onsets_until, anchor, params, out);
                if ends.is_some_and(due) {
                    self.listener.wait();
                    self.next_onset = None;
                }
            }
        }
    }

    /// The answer starts at beat `at`, from the state the musician left: whatever they
    /// played and was not heard yet is heard now (at most the queue), and the answer's first
    /// event, drawn ahead while they were silent, plays.
    fn start_answer(&mut self, at: f64, listen: &Listening, params: &EngineParams) {
        let mut everything = u32::MAX;
        self.feed(params, &mut everything);
        self.prepare_answer_at(at, params);
        self.answer_at = None;
        let length = listen.answer_length.beats(self.bars.meter.bar_quarters());
        self.listener.answer(length.map(|beats| at + beats));
        self.schedule(at, params);
    }

    /// While the musician is silent and everything they played was heard: tells the
    /// generator the answer's gap and position, so that it draws the answer's first event
    /// ahead and the answer's buffer needs no burst of work. Returns whether it may draw.
    fn prepare_answer(
        &mut self,
        silent: f64,
        listen: &Listening,
        anchor: &Anchor,
        transport: &Transport,
        params: &EngineParams,
    ) -> bool {
        if !self.listener.is_idle() {
            return false;
        }
        let at = answer_beat(silent, listen, anchor, transport, params);
        self.prepare_answer_at(at, params);
        true
    }

    /// [`Engine::prepare_answer`] for an answer at `at`, unless it was prepared for that beat.
    fn prepare_answer_at(&mut self, at: f64, params: &EngineParams) {
        if self.answer_at == Some(at) {
            return;
        }
        let gap = self.last_onset.map(|last| self.gap_steps(last, at, params));
        self.generator.resume_after(gap);
        let grid = self.generator.tables().grid;
        self.generator
            .set_position(self.bars.position(at, params.stretch(), &grid));
        self.answer_at = Some(at);
    }

    /// The musician played, the timeline jumped or Listen switched: an answer prepared and
    /// not begun is taken back.
    fn forget_prepared_answer(&mut self) {
        if self.answer_at.take().is_some() {
            self.generator.cancel_resume();
        }
    }

    /// A note from the musician at `sample` of this buffer. A note-on while answering ends
    /// the answer's notes right there.
    fn take_input(
        &mut self,
        e: &EngineEvent,
        sample: u32,
        anchor: &Anchor,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) {
        let clock = self.clock + i64::from(sample);
        let beat = anchor.beat_at(clock);
        match *e {
            EngineEvent::NoteOn { pitch, channel, .. } if params.listen.is_some() => {
                if let Turn::Answering { .. } = self.listener.turn() {
                    self.all_notes_off(sample, out);
                    self.next_onset = None;
                }
                self.forget_prepared_answer();
                let grid = self.generator.tables().grid;
                let position = self.bars.position(beat, params.stretch(), &grid);
                let window = self.chord_window();
                self.listener
                    .note_on(channel, pitch, clock, beat, position, window);
            }
            EngineEvent::NoteOn { .. } => self.listener.follow_held(e),
            EngineEvent::NoteOff { pitch, channel, .. } => {
                self.listener.note_off(channel, pitch, beat)
            }
        }
    }

    /// [`CHORD_WINDOW_SECONDS`] in samples.
    fn chord_window(&self) -> i64 {
        ((CHORD_WINDOW_SECONDS * self.sample_rate).round() as i64).max(1)
    }

    /// Feeds the musician's finished onsets through the networks while `steps` last, a
    /// split chord note by note (each part steps every network once, borrowing from the next
    /// buffers what this one lacks). `u32::MAX`: every onset heard, the open one too (an
    /// answer starts).
    fn feed(&mut self, params: &EngineParams, steps: &mut u32) {
        let everything = *steps == u32::MAX;
        if everything {
            self.listener.close();
        }
        let cost = StreamKind::COUNT as u32;
        while let Some(onset) = self.listener.front().copied() {
            let parts = self.generator.steps_to_hear(&onset.chord);
            while self.listener.front_fed() < parts {
                if !everything && *steps == 0 {
                    return;
                }
                // A part steps every network; what the buffer lacks is borrowed.
                if !everything && *steps < cost {
                    self.budget.borrow(cost - *steps);
                }
                *steps = steps.saturating_sub(cost);
                let gap = self
                    .last_onset
                    .map(|last| self.gap_steps(last, onset.beat, params));
                let part = self.listener.front_fed();
                self.generator
                    .listen_part(&onset.chord, gap, onset.position, part);
                self.listener.fed_part();
                self.answer_at = None;
            }
            self.listener.pop();
            self.last_onset = Some(onset.beat);
        }
    }

    /// The grid steps from one onset to a later one, as the model counts them (tempo scale
    /// undone), at least one: two onsets are never one. From the difference of the beats,
    /// not `OffsetGrid::step_of` of each: a count-in puts onsets at negative beats, which
    /// `step_of` clamps to 0.
    fn gap_steps(&self, from: f64, to: f64, params: &EngineParams) -> u32 {
        let grid = self.generator.tables().grid;
        let steps = ((to - from) / params.stretch() * f64::from(grid.steps_per_quarter)).round();
        steps.clamp(1.0, f64::from(grid.max_steps)) as u32
    }

    /// Plays what falls due before sample `until` of this buffer, onsets only before beat
    /// `onsets_before`.
    fn emit_due(
        &mut self,
        until: u32,
        onsets_before: f64,
        anchor: &Anchor,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) {
        let clock = self.clock;
        let relative = |beat: f64| anchor.sample_of(beat) - clock;
        let until = i64::from(until);
        let mut onsets = 0;
        loop {
            let off = self
                .sounding
                .iter()
                .enumerate()
                .filter_map(|(p, s)| s.map(|s| (relative(s.off_beat), p)))
                .min();
            let onset = self
                .next_onset
                .filter(|&b| onsets < MAX_ONSETS_PER_BUFFER && b < onsets_before)
                .map(|b| (relative(b), b));
            match (off, onset) {
                (Some((at, pitch)), _) if at < until && onset.is_none_or(|(o, _)| at <= o) => {
                    let s = self.sounding[pitch].take().expect("slot just seen");
                    out(EngineEvent::NoteOff {
                        sample: at.max(0) as u32,
                        pitch: pitch as u8,
                        channel: s.channel,
                    });
                }
                (_, Some((at, beat))) if at < until => {
                    self.play_onset(at.max(0) as u32, beat, params, out);
                    onsets += 1;
                }
                _ => break,
            }
        }
    }

    fn play_onset(
        &mut self,
        sample: u32,
        beat: f64,
        params: &EngineParams,
        out: &mut impl FnMut(EngineEvent),
    ) {
        let event = self.generator.next_event(&params.steering());
        let (placement, notes) = params.notes_of(&event, &self.generator.tables().grid);
        for note in notes {
            let (pitch, channel) = (note.pitch.as_int(), note.channel.as_int());
            let slot = &mut self.sounding[usize::from(pitch)];
            if let Some(s) = slot.take() {
                out(EngineEvent::NoteOff {
                    sample,
                    pitch,
                    channel: s.channel,
                });
            }
            out(EngineEvent::NoteOn {
                sample,
                pitch,
                velocity: note.velocity.get(),
                channel,
            });
            *slot = Some(Sounding {
                off_beat: beat + note.length,
                channel,
            });
        }
        let gap = placement.gap;
        self.last_onset = Some(beat);
        self.schedule(beat + gap, params);
    }

    /// Sets the next onset's beat, and tells the generator where in the bar it falls (an
    /// event keeps the first position it is given, so the music does not depend on when a
    /// buffer boundary came).
    fn schedule(&mut self, onset: f64, params: &EngineParams) {
        self.next_onset = Some(onset);
        let grid = self.generator.tables().grid;
        let position = self.bars.position(onset, params.stretch(), &grid);
        self.generator.set_position(position);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(s: &str) -> Meter {
        s.parse().unwrap()
    }

    /// Positions counted by hand on the default grid (24 steps a quarter).
    #[test]
    fn onsets_fall_where_the_hosts_bars_put_them() {
        let grid = OffsetGrid::default();
        let three_four = Bars {
            start: 3.0,
            meter: meter("3/4"),
        };
        // Beat 4.5 is 1.5 quarters into the bar starting at 3; beat 2 is 2 quarters into
        // the one before (which started at 0); a pre-roll at -1 is on the last beat of its bar.
        for (beat, step) in [(4.5, 36), (2.0, 48), (3.0, 0), (-1.0, 48), (30.25, 6)] {
            let p = three_four.position(beat, 1.0, &grid);
            assert_eq!(
                (p.step_in_bar, p.bar_steps, p.beat_steps),
                (step, 72, 24),
                "{beat}"
            );
        }
        let six_eight = Bars {
            start: 2.0,
            meter: meter("6/8"),
        };
        let p = six_eight.position(6.5, 1.0, &grid);
        assert_eq!((p.step_in_bar, p.bar_steps, p.beat_steps), (36, 72, 36));
        // At half speed a model bar spans two host bars, from the first one's downbeat.
        let four_four = Bars::default();
        assert_eq!(four_four.position(4.0, 2.0, &grid).step_in_bar, 48);
        assert_eq!(four_four.position(8.0, 2.0, &grid).step_in_bar, 0);
        assert_eq!(four_four.position(9.0, 2.0, &grid).step_in_bar, 12);
    }

    /// Free-running, and with a host that gives no meter, bars are 4/4.
    #[test]
    fn without_a_meter_bars_are_four_four() {
        let transport = Transport {
            playing: true,
            tempo_bpm: Some(120.0),
            position_beats: Some(5.0),
            bar_start_beats: Some(3.0),
            meter: meter("3/4").into(),
            ..Default::default()
        };
        assert_eq!(Bars::of(&transport, true), Bars::default());
        let host = Bars::of(&transport, false);
        assert_eq!((host.start, host.meter), (3.0, meter("3/4")));
        let no_meter = Transport {
            meter: None,
            bar_start_beats: None,
            ..transport
        };
        assert_eq!(Bars::of(&no_meter, false), Bars::default());
    }
}
