//! What a scenario needs from a host, and a session that plays a host against the simulated
//! transport while capturing what it sends.

use crate::capture::{BufferEvent, Capture};
use crate::transport::{SimTransport, TransportSnapshot};
use rand::{Rng, SeedableRng};

pub const SAMPLE_RATE: f64 = 48_000.0;
pub const MAX_FRAMES: u32 = 4096;

/// One plugin instance in a host. Parameters are addressed by display name and set as
/// normalized values (0–1); a change made while processing reaches the plugin with the next
/// buffer, as host automation does.
pub trait PluginHost {
    /// Activates and starts processing.
    fn activate(&mut self, sample_rate: f64, max_frames: u32);
    /// Stops processing and deactivates (no-op when inactive).
    fn deactivate(&mut self);
    fn is_active(&self) -> bool;
    /// Runs one buffer of `frames` samples; returns the note events the plugin sent.
    /// `None`: the host gives no transport at all.
    fn process(&mut self, frames: u32, transport: Option<&TransportSnapshot>) -> Vec<BufferEvent>;
    /// The host's reset (CLAP `reset`; VST3 processing off and on again).
    fn reset(&mut self);
    fn param_names(&mut self) -> Vec<String>;
    fn set_param(&mut self, name: &str, normalized: f64);
    fn param(&mut self, name: &str) -> f64;
    /// The plugin's text for a normalized value of a parameter.
    fn param_text(&mut self, name: &str, normalized: f64) -> String;
    /// The normalized value the plugin parses `text` as.
    fn param_from_text(&mut self, name: &str, text: &str) -> Option<f64>;
    /// Number of steps of a discrete parameter (its normalized values are k / steps).
    fn param_steps(&mut self, name: &str) -> Option<u32>;
    fn save_state(&mut self) -> Vec<u8>;
    fn load_state(&mut self, state: &[u8]) -> Result<(), String>;
}

/// Selects a model by name through the model parameter's value texts.
pub fn select_model(host: &mut dyn PluginHost, name: &str) {
    let steps = host
        .param_steps("Model")
        .expect("the model parameter is discrete");
    for k in 0..=steps {
        let v = f64::from(k) / f64::from(steps);
        if host.param_text("Model", v) == name {
            host.set_param("Model", v);
            return;
        }
    }
    let names: Vec<String> = (0..=steps)
        .map(|k| host.param_text("Model", f64::from(k) / f64::from(steps)))
        .collect();
    panic!("no model {name:?} in the plugin's list {names:?}");
}

/// Sets a parameter from text, as typed into a host's parameter field.
pub fn set_param_text(host: &mut dyn PluginHost, name: &str, text: &str) {
    let v = host
        .param_from_text(name, text)
        .unwrap_or_else(|| panic!("{name} does not take {text:?}"));
    host.set_param(name, v);
}

/// A host instance playing along a simulated transport.
pub struct Session<H> {
    pub host: H,
    pub transport: SimTransport,
    pub capture: Capture,
    /// Samples processed since the session started (the capture's time base).
    pub clock: i64,
    /// Split a buffer where it reaches the loop end, as Ardour does; otherwise the host jumps
    /// at the first buffer boundary past it.
    pub split_at_loop_end: bool,
    /// The host gives no transport information at all.
    pub no_transport: bool,
    /// Where the transport jumped back at a loop end: the session clock at the jump, and
    /// the position it jumped to, in beats.
    pub loop_jumps: Vec<(i64, f64)>,
}

impl<H: PluginHost> Session<H> {
    /// Activates `host` at 48 kHz, playing at `tempo` from beat 0.
    pub fn new(host: H, tempo: f64) -> Session<H> {
        Session::with_rate(host, tempo, SAMPLE_RATE)
    }

    /// Activates `host` at `sample_rate`, playing at `tempo` from beat 0.
    pub fn with_rate(mut host: H, tempo: f64, sample_rate: f64) -> Session<H> {
        host.activate(sample_rate, MAX_FRAMES);
        Session {
            host,
            transport: SimTransport::new(sample_rate, tempo),
            capture: Capture::default(),
            clock: 0,
            split_at_loop_end: false,
            no_transport: false,
            loop_jumps: Vec::new(),
        }
    }

    /// Deactivates the host and activates it again at another sample rate, playing from
    /// beat 0 at the same tempo; the capture goes on.
    pub fn reactivate(&mut self, sample_rate: f64) {
        self.host.deactivate();
        self.host.activate(sample_rate, MAX_FRAMES);
        self.transport = SimTransport::new(sample_rate, self.transport.tempo());
    }

    pub fn sample_rate(&self) -> f64 {
        self.transport.sample_rate
    }

    /// One buffer (two host buffers where it is split at the loop end).
    pub fn run(&mut self, frames: u32) {
        let mut left = frames;
        while left > 0 {
            let n = match self.transport.samples_to_loop_end() {
                Some(to_end) if self.split_at_loop_end => left.min(to_end),
                _ => left,
            };
            let snapshot = self.transport.snapshot();
            let transport = (!self.no_transport).then_some(&snapshot);
            let events = self.host.process(n, transport);
            self.capture.add_buffer(self.clock, n, &events);
            self.clock += i64::from(n);
            let before = self.transport.position_beats();
            self.transport.advance(n);
            let after = self.transport.position_beats();
            if after < before && self.transport.loop_beats.is_some() {
                self.loop_jumps.push((self.clock, after));
            }
            left -= n;
        }
    }

    /// Buffers of `frames` samples until `seconds` have passed.
    pub fn run_fixed(&mut self, seconds: f64, frames: u32) {
        let end = self.clock + (seconds * self.sample_rate()) as i64;
        while self.clock < end {
            self.run(frames.min((end - self.clock) as u32).max(1));
        }
    }

    /// Buffers of random sizes in 1..=4096 until `seconds` have passed.
    pub fn run_random(&mut self, seconds: f64, seed: u64) {
        let mut rng = rand_pcg::Pcg64::seed_from_u64(seed);
        let end = self.clock + (seconds * self.sample_rate()) as i64;
        while self.clock < end {
            let frames = rng
                .random_range(1..=MAX_FRAMES)
                .min((end - self.clock) as u32);
            self.run(frames);
        }
    }

    /// Runs `seconds` with the given buffer sizes.
    pub fn run_sizes(&mut self, seconds: f64, sizes: BufferSizes) {
        match sizes {
            BufferSizes::Fixed(n) => self.run_fixed(seconds, n),
            BufferSizes::Random(seed) => self.run_random(seconds, seed),
        }
    }
}

/// Runs `seconds` at 120 BPM with the given buffer sizes on a fresh session and returns the
/// capture.
pub fn capture_run<H: PluginHost>(host: H, seconds: f64, sizes: BufferSizes) -> Capture {
    let mut session = Session::new(host, 120.0);
    session.run_sizes(seconds, sizes);
    session.capture
}

#[derive(Debug, Clone, Copy)]
pub enum BufferSizes {
    Fixed(u32),
    /// Random in 1..=4096, from this seed.
    Random(u64),
}

impl<H: PluginHost> Session<H> {
    /// Runs one buffer in which every note sounding before it must end.
    pub fn run_ending_notes(&mut self, frames: u32, what: &str) {
        let start = self.clock;
        self.run(frames);
        let left = self.capture.sounding_from_before(start);
        assert_eq!(
            left, 0,
            "{what}: {left} notes from before sample {start} still sound"
        );
    }

    /// Plays buffers of `frames` until some note sounds (at most `max_seconds`).
    pub fn run_until_sounding(&mut self, frames: u32, max_seconds: f64) {
        let end = self.clock + (max_seconds * self.sample_rate()) as i64;
        while self.capture.sounding() == 0 {
            assert!(self.clock < end, "no note sounded within {max_seconds} s");
            self.run(frames);
        }
    }
}

/// The plugin's text for a parameter's current value.
pub fn value_text(host: &mut dyn PluginHost, name: &str) -> String {
    let v = host.param(name);
    host.param_text(name, v)
}
