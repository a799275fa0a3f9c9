//! What a scenario needs from a host, and a session that plays a host against the simulated
//! transport while capturing what it sends.

use crate::capture::{BufferEvent, Capture, NoteEvent};
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
    /// Note events for the next `process` call only, at their offsets in that buffer, on the
    /// plugin's first note input (channel and key as given, no note id). Hosts send them in
    /// time order, note-offs before note-ons at the same offset. A plugin without a note
    /// input never hears them: tests that play into the plugin check [`has_note_input`]
    /// first.
    ///
    /// [`has_note_input`]: PluginHost::has_note_input
    fn send_notes(&mut self, events: &[BufferEvent]);
    /// Whether the plugin takes note input (a CLAP note input port, a VST3 event input bus).
    fn has_note_input(&mut self) -> bool;
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

/// Puts note events in the order hosts send them: by offset, note-offs before note-ons at
/// the same offset (a note repeated on the next sample ends before it starts again).
pub fn sort_for_sending(events: &mut [BufferEvent]) {
    events.sort_by_key(|e| (e.offset, e.on));
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

/// A note played into the plugin, in session samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InputNote {
    /// The note-on's session sample (the capture's time base).
    pub start: i64,
    /// Samples from the note-on to the note-off (at least 1).
    pub length: i64,
    pub pitch: u8,
    /// 0-based MIDI channel.
    pub channel: u8,
    /// 0–1.
    pub velocity: f64,
}

impl InputNote {
    /// A note on channel 1 (0-based 0) at velocity 100.
    pub fn new(start: i64, length: i64, pitch: u8) -> InputNote {
        InputNote {
            start,
            length,
            pitch,
            channel: 0,
            velocity: 100.0 / 127.0,
        }
    }
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
    /// Note events scheduled for the plugin's input and not sent yet, in sending order.
    input: Vec<NoteEvent>,
    /// What the session sent to the plugin's input, in the capture's time base.
    pub played_in: Capture,
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
            input: Vec::new(),
            played_in: Capture::default(),
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
            self.send_due_input(n);
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

    /// Schedules notes for the plugin's input: every buffer gets the note-ons and note-offs
    /// whose session sample falls in it, whatever the buffer sizes, with the ones already
    /// scheduled. Panics on a note starting before the session clock or without length.
    pub fn schedule_input(&mut self, notes: &[InputNote]) {
        for n in notes {
            assert!(
                n.start >= self.clock && n.length >= 1,
                "{n:?}: notes start at or after the session clock ({}) and last a sample or more",
                self.clock
            );
            let event = |time, on| NoteEvent {
                time,
                pitch: n.pitch,
                channel: n.channel,
                velocity: n.velocity,
                on,
            };
            self.input.push(event(n.start, true));
            self.input.push(event(n.start + n.length, false));
        }
        self.input.sort_by_key(|e| (e.time, e.on));
    }

    /// A melody of (onset, length, pitch), onset and length in beats of the song position,
    /// as session samples, rounded to the nearest sample. Counted at the current tempo from
    /// the current position: exact while the transport plays on without a tempo change,
    /// locate or loop jump before the melody ends.
    pub fn notes_at_beats(&self, melody: &[(f64, f64, u8)]) -> Vec<InputNote> {
        let at = |beat: f64| self.clock + self.transport.samples_until(beat).round() as i64;
        melody
            .iter()
            .map(|&(onset, length, pitch)| {
                let start = at(onset);
                InputNote::new(start, at(onset + length) - start, pitch)
            })
            .collect()
    }

    /// Schedules a melody given in beats (see [`Session::notes_at_beats`]) for the
    /// plugin's input.
    pub fn schedule_melody(&mut self, melody: &[(f64, f64, u8)]) {
        let notes = self.notes_at_beats(melody);
        self.schedule_input(&notes);
    }

    /// Hands the host the scheduled input events of the next `frames` samples.
    fn send_due_input(&mut self, frames: u32) {
        let end = self.clock + i64::from(frames);
        let due = self.input.partition_point(|e| e.time < end);
        let events: Vec<BufferEvent> = self
            .input
            .drain(..due)
            .map(|e| BufferEvent {
                offset: (e.time - self.clock) as u32,
                pitch: e.pitch,
                channel: e.channel,
                velocity: e.velocity,
                on: e.on,
            })
            .collect();
        if !events.is_empty() {
            self.host.send_notes(&events);
        }
        self.played_in.add_buffer(self.clock, frames, &events);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Records what it is sent, buffer by buffer; plays nothing.
    #[derive(Default)]
    struct Recorder {
        pending: Vec<BufferEvent>,
        /// (frames, events sent for that buffer).
        buffers: Vec<(u32, Vec<BufferEvent>)>,
    }

    impl PluginHost for Recorder {
        fn activate(&mut self, _: f64, _: u32) {}
        fn deactivate(&mut self) {}
        fn is_active(&self) -> bool {
            true
        }
        fn process(&mut self, frames: u32, _: Option<&TransportSnapshot>) -> Vec<BufferEvent> {
            self.buffers
                .push((frames, std::mem::take(&mut self.pending)));
            Vec::new()
        }
        fn send_notes(&mut self, events: &[BufferEvent]) {
            self.pending.extend_from_slice(events);
        }
        fn has_note_input(&mut self) -> bool {
            true
        }
        fn reset(&mut self) {}
        fn param_names(&mut self) -> Vec<String> {
            Vec::new()
        }
        fn set_param(&mut self, _: &str, _: f64) {}
        fn param(&mut self, _: &str) -> f64 {
            0.0
        }
        fn param_text(&mut self, _: &str, _: f64) -> String {
            String::new()
        }
        fn param_from_text(&mut self, _: &str, _: &str) -> Option<f64> {
            None
        }
        fn param_steps(&mut self, _: &str) -> Option<u32> {
            None
        }
        fn save_state(&mut self) -> Vec<u8> {
            Vec::new()
        }
        fn load_state(&mut self, _: &[u8]) -> Result<(), String> {
            Ok(())
        }
    }

    /// The events a session sent, in absolute samples, from what the host received.
    fn received(session: &Session<Recorder>) -> Vec<(i64, u8, bool)> {
        let mut start = 0;
        let mut events = Vec::new();
        for (frames, sent) in &session.host.buffers {
            for e in sent {
                assert!(e.offset < *frames, "offset {} in {frames} frames", e.offset);
                events.push((start + i64::from(e.offset), e.pitch, e.on));
            }
            start += i64::from(*frames);
        }
        events
    }

    #[test]
    fn scheduled_input_reaches_the_buffer_it_falls_in() {
        // A note ending on a buffer boundary, one restarting on the sample its twin ends,
        // notes scheduled out of order and a melody in beats at 120 BPM.
        let notes = [
            InputNote::new(24_000, 1_000, 64),
            InputNote::new(4_096, 4_096, 60),
            InputNote::new(8_192, 10, 60),
            InputNote::new(0, 1, 67),
        ];
        let want = vec![
            (0, 67, true),
            (1, 67, false),
            (4_096, 60, true),
            (8_192, 60, false),
            (8_192, 60, true),
            (8_202, 60, false),
            // Notes at one sample go in the order they were scheduled.
            (24_000, 64, true),
            (24_000, 62, true),
            (25_000, 64, false),
            (36_000, 62, false),
        ];
        for sizes in [
            BufferSizes::Fixed(4096),
            BufferSizes::Fixed(1),
            BufferSizes::Random(3),
        ] {
            let mut s = Session::new(Recorder::default(), 120.0);
            s.schedule_input(&notes);
            s.schedule_melody(&[(1.0, 0.5, 62)]);
            s.run_sizes(1.0, sizes);
            assert_eq!(received(&s), want, "{sizes:?}");
            s.played_in.assert_clean("what the session sent");
            let times: Vec<(i64, u8, bool)> = s
                .played_in
                .events
                .iter()
                .map(|e| (e.time, e.pitch, e.on))
                .collect();
            assert_eq!(times, want, "{sizes:?}");
        }
    }

    #[test]
    fn melodies_count_from_the_current_position() {
        let mut s = Session::new(Recorder::default(), 90.0);
        s.run_fixed(0.5, 1000);
        s.transport.locate(8.0);
        let notes = s.notes_at_beats(&[(8.5, 0.25, 60), (10.0, 1.0, 62)]);
        let spb = 48_000.0 * 60.0 / 90.0;
        assert_eq!(
            notes,
            vec![
                InputNote::new(24_000 + (0.5 * spb) as i64, (0.25 * spb) as i64, 60),
                InputNote::new(24_000 + (2.0 * spb) as i64, spb as i64, 62),
            ]
        );
    }
}
