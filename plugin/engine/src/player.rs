//! The player: what a host integration needs beyond one [`Engine`], free of any plugin
//! framework, so the nice-plug shell (or another framework, or a standalone app) only maps its
//! parameters, transport and events onto it.
//!
//! It owns the model bank (one engine per model, built off the audio thread, so switching
//! models while playing only changes an index), the edges of the seed, reset and bypass
//! controls, and the one record of the notes the host has sounding. That record is what lets
//! a reset, deactivation, bypass, model switch or a failure always end every note: the next
//! buffer starts with their note-offs.

use crate::catalogue::{LoadedModels, ModelEntry};
use crate::monitor::report::Reporter;
use crate::monitor::MonitorSender;
use crate::realtime::{Engine, EngineEvent, EngineParams, NoteSet, PlacedBuffer, Transport};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The controls the player reads every buffer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlayerControls {
    /// The model list slot to play.
    pub slot: usize,
    /// Changing it restarts the stream with the new seed.
    pub seed: u64,
    /// A rising edge forgets what was played and restarts the stream.
    pub reset: bool,
    /// While on, the player ends its notes and stays silent.
    pub bypass: bool,
    /// Pass the musician's notes to the output, unchanged and at their samples.
    pub thru: bool,
    pub engine: EngineParams,
}

/// The musician's note events of one buffer, in time order, in storage allocated once: the
/// shell gathers the host's input here before the player reads it.
pub struct InputNotes {
    events: Vec<EngineEvent>,
    /// An event came before one pushed earlier: [`InputNotes::as_slice`] sorts once.
    out_of_order: bool,
    /// Where a sort keys each event by (sample, arrival), so that events at one sample keep
    /// the order they came in without a stable sort (which may allocate).
    keyed: Vec<(u32, u32, EngineEvent)>,
}

impl InputNotes {
    /// Events one buffer holds. Note-ons beyond [`InputNotes::NOTE_ON_LIMIT`] are dropped,
    /// so that the note-offs that end held notes always find room.
    pub const CAPACITY: usize = 1024;
    pub const NOTE_ON_LIMIT: usize = 768;

    /// Allocates: build off the audio thread.
    pub fn new() -> InputNotes {
        InputNotes {
            events: Vec::with_capacity(Self::CAPACITY),
            out_of_order: false,
            keyed: Vec::with_capacity(Self::CAPACITY),
        }
    }

    pub fn clear(&mut self) {
        self.events.clear();
        self.out_of_order = false;
    }

    /// Adds an event; hosts send them in time order, and one that does not costs a sort of
    /// the buffer when it is read, not a shift of the events at every push. Returns false
    /// when it was dropped for room. No allocation: the length never passes the capacity
    /// reserved.
    pub fn push(&mut self, e: EngineEvent) -> bool {
        let limit = match e {
            EngineEvent::NoteOn { .. } => Self::NOTE_ON_LIMIT,
            EngineEvent::NoteOff { .. } => Self::CAPACITY,
        };
        if self.events.len() >= limit {
            return false;
        }
        if self
            .events
            .last()
            .is_some_and(|last| last.sample() > e.sample())
        {
            self.out_of_order = true;
        }
        self.events.push(e);
        true
    }

    /// The events in time order, those at one sample in the order they were pushed. No
    /// allocation, O(n log n) once per buffer at worst.
    pub fn as_slice(&mut self) -> &[EngineEvent] {
        if std::mem::take(&mut self.out_of_order) {
            self.keyed.clear();
            let keyed = self.events.iter().enumerate();
            self.keyed
                .extend(keyed.map(|(i, e)| (e.sample(), i as u32, *e)));
            // The keys are unique, so the unstable sort gives the one stable order.
            self.keyed
                .sort_unstable_by_key(|&(sample, i, _)| (sample, i));
            self.events.clear();
            self.events.extend(self.keyed.iter().map(|&(_, _, e)| e));
        }
        &self.events
    }
}

impl Default for InputNotes {
    fn default() -> Self {
        InputNotes::new()
    }
}

pub struct Player {
    bank: Option<LoadedModels>,
    sample_rate: f64,
    /// The model list slot playing.
    slot: usize,
    last_seed: u64,
    last_reset: bool,
    last_bypass: bool,
    /// The notes the host has been sent a note-on for and no note-off yet.
    host_notes: NoteSet,
    /// End every note in `host_notes` at the start of the next buffer.
    flush_pending: bool,
    /// What a window is told of each buffer.
    reporter: Reporter,
    /// The sample of the last event the host took in the buffer being processed: where notes
    /// ended after a failure go, so that they come after it in the host's queue.
    sent_until: u32,
}

impl Player {
    /// A player with no models loaded yet (silent until [`Player::activate`]). Allocates:
    /// make it off the audio thread.
    pub fn new(seed: u64) -> Player {
        Player {
            bank: None,
            sample_rate: 0.0,
            slot: 0,
            last_seed: seed,
            last_reset: false,
            last_bypass: false,
            host_notes: NoteSet::default(),
            flush_pending: false,
            reporter: Reporter::new(),
            sent_until: 0,
        }
    }

    /// Loads the models (the first time, or after [`Player::unload`]) or follows a new
    /// sample rate, and starts on `slot`. Loading failures go to `log`; a panic while loading
    /// leaves the player silent (and logged), never reaching the host. Allocates and reads
    /// files: never on the audio thread.
    pub fn activate(
        &mut self,
        models: &[ModelEntry],
        sample_rate: f64,
        controls: &PlayerControls,
        log: &mut impl FnMut(String),
    ) {
        let (bank, old_rate) = (&mut self.bank, self.sample_rate);
        let loaded = catch_unwind(AssertUnwindSafe(|| match bank.as_mut() {
            Some(bank) if sample_rate != old_rate => bank.set_sample_rate(sample_rate),
            Some(_) => {}
            None => *bank = LoadedModels::load(models, sample_rate, controls.seed, log),
        }));
        if loaded.is_err() {
            log("DeepMIDI: loading the models panicked; the plugin stays silent".to_owned());
            self.bank = None;
        }
        self.sample_rate = sample_rate;
        self.slot = controls.slot;
    }

    /// Drops the models, so the next activation rebuilds them (after a failure).
    pub fn unload(&mut self) {
        self.bank = None;
    }

    /// Whether any model loaded.
    pub fn is_loaded(&self) -> bool {
        self.bank.is_some()
    }

    /// The notes the host has sounding.
    pub fn host_notes(&self) -> &NoteSet {
        &self.host_notes
    }

    fn engine(&mut self) -> Option<&mut Engine> {
        let bank = self.bank.as_mut()?;
        let index = bank.engine_index(self.slot);
        bank.engines.get_mut(index)
    }

    /// Forgets the engine's notes and restarts its stream with `seed`; the host's notes get
    /// their note-offs at the start of the next buffer (host reset, deactivation).
    pub fn silence(&mut self, seed: u64) {
        if let Some(engine) = self.engine() {
            engine.reset(seed, &mut |_| {});
        }
        self.last_seed = seed;
        self.flush_pending = true;
    }

    /// Ends every note the host has sounding, after a failure, when the engine can no longer
    /// be trusted: a panic caught at the plugin's boundary in this buffer, after
    /// [`Player::process`]. The note-offs go at the sample of the last event the host took
    /// in this buffer, so that none comes before a note-on it ends. `send` returns whether
    /// the host took the event. What the window was to be told of the buffer is dropped;
    /// it sees a break where the timeline next resumes.
    pub fn end_host_notes(&mut self, send: &mut impl FnMut(EngineEvent) -> bool) {
        self.flush_pending = false;
        end_notes(&mut self.host_notes, self.sent_until, &mut |e| {
            send(e);
        });
        self.reporter.idle();
    }

    /// Audio thread: reacts to the controls' edges, then renders one buffer of `frames`
    /// samples, hearing the musician's `input` (in time order, each before `frames`) and,
    /// with Thru, passing it on in time order with the rest. `send` passes an event to the
    /// host and returns whether it was taken; the record of sounding notes follows what was
    /// taken. While `monitor` has a window open, it is told the buffer's transport, the notes
    /// the host took of DeepMIDI's own and the musician's input, in beats (see
    /// [`crate::monitor`]); a window that falls behind loses events, never holds this up.
    /// No allocation, bounded work. A panic here leaves the record of the host's notes
    /// whole, with what this buffer sent before it, for [`Player::end_host_notes`].
    pub fn process(
        &mut self,
        frames: u32,
        transport: &Transport,
        controls: &PlayerControls,
        input: &[EngineEvent],
        monitor: Option<&mut MonitorSender>,
        send: &mut impl FnMut(EngineEvent) -> bool,
    ) {
        let monitor = monitor.filter(|m| m.is_listening());
        let watched = monitor.is_some();
        self.sent_until = 0;
        if self.flush_pending {
            self.flush_pending = false;
            let reporter = &mut self.reporter;
            end_notes(&mut self.host_notes, 0, &mut |e| {
                if send(e) && watched {
                    reporter.took(e);
                }
            });
        }
        // The record and the reporter are lent to the engine's callback. A panic unwinding
        // through the engine would drop them with it (the host's notes would then never
        // end, and the window would be told nothing more), so the buffer runs inside
        // `catch_unwind` and they come back before the panic goes on to the boundary.
        let mut notes = std::mem::take(&mut self.host_notes);
        let mut reporter = std::mem::take(&mut self.reporter);
        let mut sent_until = 0;
        let rendered = catch_unwind(AssertUnwindSafe(|| {
            // `own`: one of DeepMIDI's notes, not the musician's passed through.
            let mut pass = |e: EngineEvent, own: bool| {
                if send(e) {
                    sent_until = e.sample();
                    match e {
                        EngineEvent::NoteOn { pitch, channel, .. } => notes.insert(channel, pitch),
                        EngineEvent::NoteOff { pitch, channel, .. } => notes.remove(channel, pitch),
                    }
                    if own && watched {
                        reporter.took(e);
                    }
                }
            };
            let mut thru = input.iter().copied().filter(|_| controls.thru).peekable();
            let placed = self.render(frames, transport, controls, input, &mut |e| {
                while let Some(t) = thru.next_if(|t| t.sample() < e.sample()) {
                    pass(t, false);
                }
                pass(e, true);
            });
            thru.for_each(|t| pass(t, false));
            #[cfg(feature = "inject_panic")]
            if input.iter().any(is_panic_trigger) {
                panic!("DeepMIDI: the test panic (inject_panic)");
            }
            placed
        }));
        self.host_notes = notes;
        self.reporter = reporter;
        self.sent_until = sent_until;
        let placed = rendered.unwrap_or_else(|panic| resume_unwind(panic));
        match monitor {
            Some(monitor) => self.reporter.report(monitor, placed, frames, input),
            None => self.reporter.idle(),
        }
    }

    /// Renders the buffer; returns where the engine placed it, `None` when no engine played
    /// it (bypassed, nothing loaded) or the transport is stopped.
    fn render(
        &mut self,
        frames: u32,
        transport: &Transport,
        controls: &PlayerControls,
        input: &[EngineEvent],
        out: &mut impl FnMut(EngineEvent),
    ) -> Option<PlacedBuffer> {
        let bank = self.bank.as_mut()?;
        let seed = controls.seed;
        if controls.slot != self.slot {
            let (old, new) = (
                bank.engine_index(self.slot),
                bank.engine_index(controls.slot),
            );
            if let Some(engine) = bank.engines.get_mut(old) {
                engine.all_notes_off(0, out);
            }
            if let Some(engine) = bank.engines.get_mut(new) {
                engine.reset(seed, out);
            }
            self.slot = controls.slot;
            self.last_seed = seed;
        }
        let index = bank.engine_index(self.slot);
        let engine = bank.engines.get_mut(index)?;
        if seed != self.last_seed || (controls.reset && !self.last_reset) {
            engine.reset(seed, out);
            self.last_seed = seed;
        }
        self.last_reset = controls.reset;
        if controls.bypass {
            if !self.last_bypass {
                engine.all_notes_off(0, out);
            }
            self.last_bypass = true;
            return None;
        }
        self.last_bypass = false;
        engine.process_with_input(frames, transport, &controls.engine, input, out);
        engine.placed()
    }
}

/// Sends a note-off at `sample` for every note of `notes`, and forgets them all, taken or not.
fn end_notes(notes: &mut NoteSet, sample: u32, send: &mut impl FnMut(EngineEvent)) {
    notes.drain(|channel, pitch| {
        send(EngineEvent::NoteOff {
            sample,
            pitch,
            channel,
        })
    });
}

/// Test builds only (the `inject_panic` feature, which a release build refuses): a note-on
/// on channel 16, key 0, velocity 1 makes [`Player::process`] panic after its buffer was
/// sent, so that the host tests can check what a panic caught at the plugin's boundary
/// leaves behind.
#[cfg(feature = "inject_panic")]
fn is_panic_trigger(e: &EngineEvent) -> bool {
    matches!(
        e,
        EngineEvent::NoteOn {
            pitch: 0,
            velocity: 1,
            channel: 15,
            ..
        }
    )
}

#[cfg(all(feature = "inject_panic", not(debug_assertions)))]
compile_error!("`inject_panic` is for debug test builds only: it lets a note crash the engine");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::{monitor_channel, MonitorEvent, MonitorReceiver, Voice, MONITOR_CAPACITY};
    use std::path::PathBuf;

    #[test]
    fn host_notes_drain_every_note_once() {
        let mut notes = NoteSet::default();
        notes.insert(0, 60);
        notes.insert(15, 127);
        notes.insert(3, 0);
        notes.insert(3, 5);
        notes.remove(3, 5);
        let mut seen = Vec::new();
        notes.drain(|c, p| seen.push((c, p)));
        assert_eq!(seen, [(0, 60), (3, 0), (15, 127)]);
        assert!(notes.is_empty());
        notes.drain(|_, _| panic!("drained twice"));
    }

    /// The shipped models, read from the workspace's `models/` folder.
    fn shipped() -> Vec<ModelEntry> {
        let models = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models");
        ["irish", "bach"]
            .into_iter()
            .map(|name| ModelEntry {
                name: name.to_owned(),
                source: crate::catalogue::ModelSource::Folder(models.join(name)),
            })
            .collect()
    }

    fn controls(slot: usize) -> PlayerControls {
        PlayerControls {
            slot,
            seed: 3,
            reset: false,
            bypass: false,
            thru: false,
            engine: EngineParams::default(),
        }
    }

    /// A plain fake transport: playing from beat 0 at 120 BPM, `frames` per buffer.
    struct FakeHost {
        player: Player,
        position: f64,
        /// (absolute sample, event)
        events: Vec<(u64, EngineEvent)>,
        clock: u64,
        /// Refuse every event (a full host queue).
        refuse: bool,
        playing: bool,
        /// The window's queue, passed to every buffer.
        monitor: Option<MonitorSender>,
    }

    impl FakeHost {
        fn new(slot: usize) -> FakeHost {
            FakeHost::with_models(&shipped(), slot, &mut Vec::new())
        }

        /// A player of `models` on `slot`; loading messages go to `log`.
        fn with_models(models: &[ModelEntry], slot: usize, log: &mut Vec<String>) -> FakeHost {
            let mut player = Player::new(3);
            player.activate(models, 48_000.0, &controls(slot), &mut |m| log.push(m));
            assert!(player.is_loaded(), "{log:?}");
            FakeHost {
                player,
                position: 0.0,
                events: Vec::new(),
                clock: 0,
                refuse: false,
                playing: true,
                monitor: None,
            }
        }

        fn run(&mut self, buffers: usize, controls: &PlayerControls) {
            for _ in 0..buffers {
                let transport = Transport {
                    playing: self.playing,
                    tempo_bpm: Some(120.0),
                    position_beats: Some(self.position),
                    ..Default::default()
                };
                let (clock, refuse, events) = (self.clock, self.refuse, &mut self.events);
                let monitor = self.monitor.as_mut();
                self.player
                    .process(512, &transport, controls, &[], monitor, &mut |e| {
                        events.push((clock, e));
                        !refuse
                    });
                self.clock += 512;
                self.position += 512.0 / 24_000.0;
            }
        }

        /// Pitches sounding after the events so far, by replaying them.
        fn sounding(&self) -> usize {
            let mut on = [[false; 128]; 16];
            for (_, e) in &self.events {
                match *e {
                    EngineEvent::NoteOn { pitch, channel, .. } => {
                        on[usize::from(channel)][usize::from(pitch)] = true
                    }
                    EngineEvent::NoteOff { pitch, channel, .. } => {
                        on[usize::from(channel)][usize::from(pitch)] = false
                    }
                }
            }
            on.iter().flatten().filter(|s| **s).count()
        }

        fn ons(&self) -> usize {
            self.events
                .iter()
                .filter(|(_, e)| matches!(e, EngineEvent::NoteOn { .. }))
                .count()
        }

        /// At least `min_ons` notes played, and the player's record of sounding notes is
        /// what the host saw.
        fn check_record(&self, min_ons: usize) {
            assert!(self.ons() > min_ons, "only {} notes", self.ons());
            assert_eq!(self.sounding(), self.player.host_notes().len());
        }
    }

    #[test]
    fn plays_and_its_record_matches_what_the_host_took() {
        let mut host = FakeHost::new(0);
        host.run(1000, &controls(0));
        host.check_record(10);
    }

    #[test]
    fn switching_models_ends_the_old_notes_and_plays_the_new_model() {
        let mut host = FakeHost::new(0);
        host.run(100, &controls(0));
        let before = host.events.len();
        host.run(1, &controls(1));
        // The switch buffer starts with the note-offs of every sounding note.
        let switched: Vec<_> = host.events[before..].iter().collect();
        let offs = switched
            .iter()
            .take_while(|(_, e)| matches!(e, EngineEvent::NoteOff { sample: 0, .. }))
            .count();
        assert!(offs > 0, "no note-offs at the switch");
        host.run(200, &controls(1));
        assert!(host.ons() > 20);
        // A different model plays a different stream than the same seed on the first one.
        let mut other = FakeHost::new(0);
        other.run(301, &controls(0));
        assert_ne!(host.events, other.events);
    }

    #[test]
    fn bypass_reset_and_seed_edges_end_every_note() {
        let mut host = FakeHost::new(0);
        let mut c = controls(0);
        host.run(300, &c);
        for change in 0..3 {
            match change {
                0 => c.bypass = true,
                1 => {
                    c.bypass = false;
                    c.reset = true
                }
                _ => {
                    c.reset = false;
                    c.seed = 99
                }
            }
            host.run(1, &c);
            if change == 0 {
                assert_eq!(host.sounding(), 0, "bypass left notes sounding");
                let n = host.events.len();
                host.run(300, &c);
                assert_eq!(host.events.len(), n, "events while bypassed");
            } else {
                host.run(300, &c);
            }
        }
        // The reset and seed edges end the notes at sample 0 of their buffer, then play on.
        host.check_record(20);
    }

    #[test]
    fn silence_ends_the_host_notes_at_the_next_buffer() {
        let mut host = FakeHost::new(0);
        host.run(60, &controls(0));
        let sounding = host.sounding();
        let before = host.events.len();
        host.player.silence(3);
        host.run(1, &controls(0));
        let offs = host.events[before..]
            .iter()
            .filter(|(_, e)| matches!(e, EngineEvent::NoteOff { sample: 0, .. }))
            .count();
        assert!(offs >= sounding, "{offs} note-offs for {sounding} notes");
    }

    /// Thru passes every input note at its sample, in time order with the player's own;
    /// without it none comes out.
    #[test]
    fn thru_passes_the_input_in_time_order() {
        let mut input = InputNotes::new();
        let on = |sample, pitch| EngineEvent::NoteOn {
            sample,
            pitch,
            velocity: 64,
            channel: 2,
        };
        let off = |sample, pitch| EngineEvent::NoteOff {
            sample,
            pitch,
            channel: 2,
        };
        // Out of order on purpose, and two events at one sample keep their order.
        for e in [
            on(300, 40),
            off(10, 41),
            on(511, 42),
            off(300, 40),
            on(0, 43),
        ] {
            assert!(input.push(e));
        }
        let expected = [
            on(0, 43),
            off(10, 41),
            on(300, 40),
            off(300, 40),
            on(511, 42),
        ];
        assert_eq!(input.as_slice(), expected);
        for thru in [true, false] {
            let mut player = Player::new(3);
            player.activate(&shipped(), 48_000.0, &controls(0), &mut |_| {});
            let c = PlayerControls {
                thru,
                ..controls(0)
            };
            let transport = Transport {
                playing: true,
                tempo_bpm: Some(120.0),
                position_beats: Some(0.0),
                ..Default::default()
            };
            let (mut monitor, mut window) = monitor_channel(MONITOR_CAPACITY);
            window.set_open(true);
            let mut sent = Vec::new();
            let input = input.as_slice();
            player.process(512, &transport, &c, input, Some(&mut monitor), &mut |e| {
                sent.push(e);
                true
            });
            let passed: Vec<_> = sent.iter().filter(|e| e.channel() == 2).copied().collect();
            let own = sent.iter().filter(|e| e.channel() == 0).count();
            assert!(own > 0, "the player's own first note");
            assert!(sent.windows(2).all(|w| w[0].sample() <= w[1].sample()));
            assert_eq!(passed, if thru { &expected[..] } else { &[] });
            // The window hears the input as the musician's, passed through or not, at its
            // beats (a beat is 24 000 samples), and only the player's own as played.
            let notes = notes_seen(&mut window);
            let heard: Vec<_> = notes.iter().filter(|n| n.4 == Voice::Heard).collect();
            assert_eq!(heard.len(), expected.len());
            for (n, e) in heard.iter().zip(&expected) {
                let beat = f64::from(e.sample()) / 24_000.0;
                assert!((n.0 - beat).abs() < 1e-12, "{n:?} for {e:?}");
                assert_eq!((n.1, n.2, n.3), (e.pitch(), e.velocity().unwrap_or(0), 2));
            }
            let played = notes.iter().filter(|n| n.4 == Voice::Played);
            assert_eq!(played.clone().count(), own);
            assert!(played.clone().all(|n| n.3 == 0));
        }
    }

    #[test]
    fn input_keeps_room_for_note_offs() {
        let mut input = InputNotes::new();
        let on = EngineEvent::NoteOn {
            sample: 0,
            pitch: 60,
            velocity: 64,
            channel: 0,
        };
        let off = EngineEvent::NoteOff {
            sample: 1,
            pitch: 60,
            channel: 0,
        };
        let ons = (0..InputNotes::CAPACITY).filter(|_| input.push(on)).count();
        assert_eq!(ons, InputNotes::NOTE_ON_LIMIT);
        let offs = (0..InputNotes::CAPACITY)
            .filter(|_| input.push(off))
            .count();
        assert_eq!(offs, InputNotes::CAPACITY - InputNotes::NOTE_ON_LIMIT);
    }

    /// A panic in the engine part-way through a buffer (here from the host's callback, which
    /// the engine calls) is caught at the boundary: every note the host has sounding, those
    /// this buffer started among them, ends after the last event it took, and once the
    /// player is loaded again the window is told the notes it plays.
    #[test]
    fn a_panic_in_the_engine_leaves_every_host_note_to_end() {
        let (mut host, mut window) = watched_host(MONITOR_CAPACITY, true);
        while host.sounding() == 0 {
            assert!(host.clock < 48_000 * 10, "no note sounded");
            host.run(1, &controls(0));
        }
        window.drain(|_| {});
        let frames = 48_000;
        let mut panicked = false;
        let mut started = 0;
        for _ in 0..10 {
            let transport = Transport {
                playing: true,
                tempo_bpm: Some(120.0),
                position_beats: Some(host.position),
                ..Default::default()
            };
            let (clock, events) = (host.clock, &mut host.events);
            let (player, monitor) = (&mut host.player, host.monitor.as_mut());
            started = events.len();
            let mut took_on = false;
            let caught = catch_unwind(AssertUnwindSafe(|| {
                player.process(frames, &transport, &controls(0), &[], monitor, &mut |e| {
                    if took_on {
                        panic!("a failure in the engine, after a note-on it sent");
                    }
                    events.push((clock, e));
                    took_on = matches!(e, EngineEvent::NoteOn { .. });
                    true
                })
            }));
            if caught.is_err() {
                panicked = true;
                break;
            }
            host.clock += u64::from(frames);
            host.position += f64::from(frames) / 24_000.0;
        }
        assert!(panicked, "no buffer with an event after a note-on");
        let sounding = host.sounding();
        assert!(sounding > 0);
        assert_eq!(host.player.host_notes().len(), sounding);
        let last = host.events[started..].iter().map(|(_, e)| e.sample()).max();
        let before = host.events.len();
        let clock = host.clock;
        host.player.end_host_notes(&mut |e| {
            host.events.push((clock, e));
            true
        });
        let ends = &host.events[before..];
        assert_eq!(ends.len(), sounding);
        assert!(ends
            .iter()
            .all(|(_, e)| e.velocity().is_none() && Some(e.sample()) == last));
        assert_eq!(host.sounding(), 0);
        assert!(host.player.host_notes().is_empty());
        // The shell then reloads the engines at the next activation.
        host.player.unload();
        host.player
            .activate(&shipped(), 48_000.0, &controls(0), &mut |_| {});
        host.clock += u64::from(frames);
        host.position = 0.0;
        let before = host.events.len();
        host.run(300, &controls(0));
        let played = notes_seen(&mut window)
            .into_iter()
            .filter(|n| n.4 == Voice::Played)
            .count();
        assert!(played > 10, "the window was told {played} notes");
        assert_eq!(played, host.events.len() - before);
    }

    /// A thousand events in scrambled time order, many at each sample: read back in time
    /// order, those at one sample in the order they came; a late one after a read sorts in.
    #[test]
    fn input_sorts_out_of_order_events_keeping_their_order_at_one_sample() {
        let mut input = InputNotes::new();
        let off = |i: u32, sample| EngineEvent::NoteOff {
            sample,
            pitch: (i % 128) as u8,
            channel: (i / 128) as u8,
        };
        let mut pushed = Vec::new();
        for i in 0..1000 {
            let e = off(i, i * 7919 % 97);
            assert!(input.push(e));
            pushed.push(e);
        }
        // `sort_by_key` is stable: the order at one sample is the order pushed.
        pushed.sort_by_key(|e| e.sample());
        assert_eq!(input.as_slice(), pushed);
        assert_eq!(input.as_slice(), pushed);
        let late = off(1000, 3);
        assert!(input.push(late));
        let at = pushed.partition_point(|e| e.sample() <= 3);
        pushed.insert(at, late);
        assert_eq!(input.as_slice(), pushed);
        input.clear();
        assert!(input.as_slice().is_empty());
        assert!(input.push(off(0, 5)) && input.push(off(1, 5)) && input.push(off(2, 4)));
        assert_eq!(input.as_slice(), [off(2, 4), off(0, 5), off(1, 5)]);
    }

    #[test]
    fn refused_events_are_not_recorded_as_sounding() {
        let mut host = FakeHost::new(0);
        host.refuse = true;
        host.run(100, &controls(0));
        assert!(host.player.host_notes().is_empty());
    }

    #[test]
    fn a_broken_model_falls_back_to_the_built_in_one() {
        let dir = std::env::temp_dir().join(format!("deepmidi-player-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("model.json"), "{ broken").unwrap();
        for f in ["note.safetensors", "offset.safetensors"] {
            std::fs::write(dir.join(f), "nor this").unwrap();
        }
        let mut models = shipped();
        models.push(ModelEntry {
            name: "broken".into(),
            source: crate::catalogue::ModelSource::Folder(dir.clone()),
        });
        let mut log = Vec::new();
        let mut host = FakeHost::with_models(&models, 2, &mut log);
        let _ = std::fs::remove_dir_all(&dir);
        assert!(log.iter().any(|m| m.contains("model.json")), "{log:?}");
        host.run(1000, &controls(2));
        let ons = host.ons();
        assert!(ons > 10, "the fallback played {ons} notes");
    }

    /// The notes a window was sent: (beat, pitch, velocity, channel, voice).
    fn notes_seen(window: &mut MonitorReceiver) -> Vec<(f64, u8, u8, u8, Voice)> {
        let mut notes = Vec::new();
        window.drain(|e| {
            if let MonitorEvent::Note {
                beat,
                pitch,
                velocity,
                channel,
                voice,
            } = e
            {
                notes.push((beat, pitch, velocity, channel, voice));
            }
        });
        notes
    }

    /// A host whose window is open (`open`) on a queue of `capacity` events.
    fn watched_host(capacity: usize, open: bool) -> (FakeHost, MonitorReceiver) {
        let (monitor, window) = monitor_channel(capacity);
        window.set_open(open);
        let mut host = FakeHost::new(0);
        host.monitor = Some(monitor);
        (host, window)
    }

    fn dropped(host: &FakeHost) -> u64 {
        host.monitor.as_ref().map_or(0, |m| m.dropped())
    }

    #[test]
    fn a_closed_window_is_sent_nothing() {
        let (mut host, mut window) = watched_host(MONITOR_CAPACITY, false);
        host.run(300, &controls(0));
        assert!(host.ons() > 5);
        window.drain(|e| panic!("{e:?} sent to a closed window"));
        assert_eq!(dropped(&host), 0);
    }

    /// A window that never drains its queue: the queue fills, the rest is dropped and
    /// counted, and what the host is sent is what it is sent with no window at all.
    #[test]
    fn a_window_that_never_drains_changes_nothing_played() {
        let (mut watched, mut window) = watched_host(64, true);
        let mut alone = FakeHost::new(0);
        watched.run(1000, &controls(0));
        alone.run(1000, &controls(0));
        assert!(alone.ons() > 10);
        assert_eq!(watched.events, alone.events);
        let mut queued = 0;
        window.drain(|_| queued += 1);
        assert_eq!(queued, 64);
        // A transport a buffer alone overflows it.
        assert!(dropped(&watched) > 1000 - 64, "{}", dropped(&watched));
    }

    /// Every note the host took, at the beat of its sample (a beat is 24 000 samples at
    /// 120 BPM and 48 kHz), after the buffer's transport; one break, where the window opened.
    #[test]
    fn the_window_sees_each_note_taken_at_its_beat() {
        let (mut host, mut window) = watched_host(MONITOR_CAPACITY, true);
        let mut seen = Vec::new();
        for _ in 0..400 {
            host.run(1, &controls(0));
            window.drain(|e| seen.push(e));
        }
        let beat = |sample: u64| sample as f64 / 24_000.0;
        let mut transports = Vec::new();
        let mut breaks = Vec::new();
        let mut played = Vec::new();
        for e in &seen {
            match *e {
                MonitorEvent::Transport { beat, .. } => {
                    // The fake host gives no meter: 4/4 bars from beat 0.
                    let expected = MonitorEvent::Transport {
                        beat,
                        bpm: 120.0,
                        bar_start: 0.0,
                        numerator: 4,
                        denominator: 4,
                    };
                    assert_eq!(*e, expected);
                    transports.push(beat);
                }
                MonitorEvent::Break { beat } => breaks.push(beat),
                MonitorEvent::Note {
                    beat,
                    pitch,
                    velocity,
                    voice: Voice::Played,
                    ..
                } => {
                    // A buffer's notes come after its transport.
                    let start = *transports.last().expect("a transport first");
                    assert!(beat >= start && beat < start + beat_of_buffer());
                    played.push((beat, pitch, velocity));
                }
                MonitorEvent::Note { .. } => panic!("no input, yet {e:?}"),
            }
        }
        assert_eq!(breaks, [0.0]);
        assert_eq!(transports.len(), 400);
        for (i, t) in transports.iter().enumerate() {
            assert!((t - beat(512 * i as u64)).abs() < 1e-9);
        }
        assert_eq!(played.len(), host.events.len());
        assert!(host.ons() > 10);
        for ((b, pitch, velocity), (clock, e)) in played.iter().zip(&host.events) {
            assert!((b - beat(clock + u64::from(e.sample()))).abs() < 1e-9);
            assert_eq!((*pitch, *velocity), (e.pitch(), e.velocity().unwrap_or(0)));
        }
    }

    fn beat_of_buffer() -> f64 {
        512.0 / 24_000.0
    }

    /// A locate back breaks the timeline where it was before its note-offs are placed at
    /// the new position; a stop breaks it too, and then nothing more comes.
    #[test]
    fn a_jump_or_a_stop_breaks_the_timeline_where_it_was() {
        let (mut host, mut window) = watched_host(MONITOR_CAPACITY, true);
        host.run(100, &controls(0));
        window.drain(|_| {});
        let end = 100.0 * beat_of_buffer();
        host.position = 0.5;
        host.run(1, &controls(0));
        let mut seen = Vec::new();
        window.drain(|e| seen.push(e));
        assert!(
            matches!(seen[..2], [MonitorEvent::Break { beat: b }, MonitorEvent::Transport { beat: t, .. }]
                if (b - end).abs() < 1e-9 && (t - 0.5).abs() < 1e-9),
            "{seen:?}"
        );
        host.run(10, &controls(0));
        window.drain(|_| {});
        let end = 0.5 + 11.0 * beat_of_buffer();
        host.playing = false;
        host.run(5, &controls(0));
        seen.clear();
        window.drain(|e| seen.push(e));
        assert!(
            matches!(seen[..], [MonitorEvent::Break { beat }] if (beat - end).abs() < 1e-9),
            "{seen:?}"
        );
    }
}
