//! The engine in-process beside a bundle: given the same transport, buffer for buffer, and
//! the parameters the test set through the host, it must play the same notes. That shows
//! the host's view (time signature, parameters set by their text) reaches the engine as
//! meant, through each format.

use crate::capture::{BufferEvent, Capture};
use crate::host::{PluginHost, Session, MAX_FRAMES};
use crate::transport::TransportSnapshot;
use deepmidi_engine::corpus::Meter;
use deepmidi_engine::realtime::{Engine, EngineEvent, EngineParams, Transport};
use rand::{Rng, SeedableRng};

/// The engine's view of a snapshot: what nice-plug hands the plugin from either format.
pub fn engine_transport(t: &TransportSnapshot) -> Transport {
    Transport {
        playing: t.playing,
        tempo_bpm: Some(t.tempo),
        position_beats: Some(t.position_beats),
        position_seconds: t.position_seconds(),
        bar_start_beats: Some(t.bar_start_beats),
        meter: Meter::new(t.time_signature.0 as u8, t.time_signature.1 as u8),
        loop_beats: t.loop_beats,
    }
}

pub struct Lockstep {
    pub engine: Engine,
    /// What the engine played, in the session's sample time.
    pub expected: Capture,
    rng: rand_pcg::Pcg64,
}

impl Lockstep {
    /// Random buffer sizes from `seed`.
    pub fn new(engine: Engine, seed: u64) -> Lockstep {
        Lockstep {
            engine,
            expected: Capture::default(),
            rng: rand_pcg::Pcg64::seed_from_u64(seed),
        }
    }

    /// Runs the session and the engine (with `params`) for `seconds` in random buffers of
    /// 1 to `MAX_FRAMES` samples; the engine hears the notes the session plays into the
    /// plugin.
    pub fn run<H: PluginHost>(
        &mut self,
        session: &mut Session<H>,
        params: &EngineParams,
        seconds: f64,
    ) {
        let end = session.clock + (seconds * session.sample_rate()) as i64;
        self.run_until(session, params, end);
    }

    /// [`Lockstep::run`] up to the session's sample `end`, the last buffer cut short there.
    pub fn run_until<H: PluginHost>(
        &mut self,
        session: &mut Session<H>,
        params: &EngineParams,
        end: i64,
    ) {
        while session.clock < end {
            let frames = self
                .rng
                .random_range(1..=MAX_FRAMES)
                .min((end - session.clock) as u32);
            let (start, snapshot) = (session.clock, session.transport.snapshot());
            session.run(frames);
            // The notes the session played into the plugin in this buffer, in its order.
            let input: Vec<EngineEvent> = session
                .played_in
                .events
                .iter()
                .filter(|e| (start..start + i64::from(frames)).contains(&e.time))
                .map(|e| {
                    let (sample, pitch, channel) = ((e.time - start) as u32, e.pitch, e.channel);
                    match e.on {
                        true => EngineEvent::NoteOn {
                            sample,
                            pitch,
                            channel,
                            velocity: (e.velocity * 127.0).round().clamp(1.0, 127.0) as u8,
                        },
                        false => EngineEvent::NoteOff {
                            sample,
                            pitch,
                            channel,
                        },
                    }
                })
                .collect();
            let mut events = Vec::new();
            let transport = engine_transport(&snapshot);
            self.engine
                .process_with_input(frames, &transport, params, &input, &mut |e| {
                    events.push(BufferEvent {
                        offset: e.sample(),
                        pitch: e.pitch(),
                        channel: e.channel(),
                        velocity: e.velocity().map_or(0.0, |v| f64::from(v) / 127.0),
                        on: e.velocity().is_some(),
                    })
                });
            self.expected.add_buffer(start, frames, &events);
        }
    }
}
