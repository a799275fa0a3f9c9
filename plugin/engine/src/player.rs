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
use crate::realtime::{Engine, EngineEvent, EngineParams, NoteSet, Transport};
use std::panic::{catch_unwind, AssertUnwindSafe};

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
        }
    }

    pub fn clear(&mut self) {
        self.events.clear();
    }

    /// Adds an event after those at or before its sample (hosts send them in order; this
    /// keeps the order if one does not). Returns false when it was dropped for room. No
    /// allocation: the length never passes the capacity reserved.
    pub fn push(&mut self, e: EngineEvent) -> bool {
        let limit = match e {
            EngineEvent::NoteOn { .. } => Self::NOTE_ON_LIMIT,
            EngineEvent::NoteOff { .. } => Self::CAPACITY,
        };
        if self.events.len() >= limit {
            return false;
        }
        let at = self.events.partition_point(|x| x.sample() <= e.sample());
        self.events.insert(at, e);
        true
    }

    pub fn as_slice(&self) -> &[EngineEvent] {
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
}

impl Player {
    /// A player with no models loaded yet (silent until [`Player::activate`]).
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

    /// Ends every note the host has sounding, at sample 0 (after a failure, when the engine
    /// can no longer be trusted). `send` returns whether the host took the event.
    pub fn end_host_notes(&mut self, send: &mut impl FnMut(EngineEvent) -> bool) {
        self.flush_pending = false;
        self.host_notes.drain(|channel, pitch| {
            send(EngineEvent::NoteOff {
                sample: 0,
                pitch,
                channel,
            });
        });
    }

    /// Audio thread: reacts to the controls' edges, then renders one buffer of `frames`
    /// samples, hearing the musician's `input` (in time order, each before `frames`) and,
    /// with Thru, passing it on in time order with the rest. `send` passes an event to the
    /// host and returns whether it was taken; the record of sounding notes follows what was
    /// taken. No allocation, bounded work.
    pub fn process(
        &mut self,
        frames: u32,
        transport: &Transport,
        controls: &PlayerControls,
        input: &[EngineEvent],
        send: &mut impl FnMut(EngineEvent) -> bool,
    ) {
        if self.flush_pending {
            self.end_host_notes(send);
        }
        let mut notes = std::mem::take(&mut self.host_notes);
        let mut pass = |e: EngineEvent| {
            if send(e) {
                match e {
                    EngineEvent::NoteOn { pitch, channel, .. } => notes.insert(channel, pitch),
                    EngineEvent::NoteOff { pitch, channel, .. } => notes.remove(channel, pitch),
                }
            }
        };
        let mut thru = input.iter().copied().filter(|_| controls.thru).peekable();
        self.render(frames, transport, controls, input, &mut |e| {
            while let Some(t) = thru.next_if(|t| t.sample() < e.sample()) {
                pass(t);
            }
            pass(e);
        });
        thru.for_each(pass);
        self.host_notes = notes;
    }

    fn render(
        &mut self,
        frames: u32,
        transport: &Transport,
        controls: &PlayerControls,
        input: &[EngineEvent],
        out: &mut impl FnMut(EngineEvent),
    ) {
        let Some(bank) = self.bank.as_mut() else {
            return;
        };
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
        let Some(engine) = bank.engines.get_mut(index) else {
            return;
        };
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
            return;
        }
        self.last_bypass = false;
        engine.process_with_input(frames, transport, &controls.engine, input, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
            }
        }

        fn run(&mut self, buffers: usize, controls: &PlayerControls) {
            for _ in 0..buffers {
                let transport = Transport {
                    playing: true,
                    tempo_bpm: Some(120.0),
                    position_beats: Some(self.position),
                    ..Default::default()
                };
                let (clock, refuse, events) = (self.clock, self.refuse, &mut self.events);
                self.player
                    .process(512, &transport, controls, &[], &mut |e| {
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
            let mut sent = Vec::new();
            player.process(512, &transport, &c, input.as_slice(), &mut |e| {
                sent.push(e);
                true
            });
            let passed: Vec<_> = sent.iter().filter(|e| e.channel() == 2).copied().collect();
            let own = sent.iter().filter(|e| e.channel() == 0).count();
            assert!(own > 0, "the player's own first note");
            assert!(sent.windows(2).all(|w| w[0].sample() <= w[1].sample()));
            assert_eq!(passed, if thru { &expected[..] } else { &[] });
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
}
