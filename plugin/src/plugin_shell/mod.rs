//! The CLAP + VST3 plugin: a thin shell around [`crate::realtime::Engine`]. The only module
//! that knows about nice-plug.
//!
//! - Creation lists the models (cheap); activation loads every model and builds one engine
//!   per model, off the audio thread, so switching models while playing only changes an index.
//! - `process` maps the host's transport and the parameters onto the engine and sends its
//!   notes to the host; the audio output is silence.
//! - Every note the host has been sent is tracked, so a reset, deactivation, bypass, model
//!   switch or caught panic can always end them: the next buffer starts with their note-offs.

mod models;
mod params;
mod state;
mod state_repair;

pub use models::{
    list_models, user_models_dir, LoadedModels, ModelEntry, ModelSource, BUILTIN_MODELS,
};
pub use params::DeepMidiParams;
pub use state::{ModelChoice, SavedModel};

use crate::realtime::{EngineEvent, Transport};
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

pub struct DeepMidi {
    params: Arc<DeepMidiParams>,
    models: Vec<ModelEntry>,
    loaded: Option<LoadedModels>,
    sample_rate: f64,
    /// The model list slot playing.
    slot: usize,
    last_seed: u64,
    last_reset: bool,
    last_bypass: bool,
    /// Notes the host has been sent a note-on for and no note-off yet.
    host_notes: HostNotes,
    /// End every note in `host_notes` at the start of the next buffer.
    flush_pending: bool,
    /// Set after the engine panicked: the plugin stays silent until reactivated.
    failed: bool,
}

impl Default for DeepMidi {
    fn default() -> Self {
        let models = list_models();
        let names: Arc<[String]> = models.iter().map(|m| m.name.clone()).collect();
        let params = Arc::new(DeepMidiParams::new(names));
        DeepMidi {
            last_seed: params.seed(),
            params,
            models,
            loaded: None,
            sample_rate: 0.0,
            slot: 0,
            last_reset: false,
            last_bypass: false,
            host_notes: HostNotes::default(),
            flush_pending: false,
            failed: false,
        }
    }
}

/// One bit per (channel, pitch).
#[derive(Default)]
struct HostNotes([u128; 16]);

impl HostNotes {
    fn note_on(&mut self, channel: u8, pitch: u8) {
        self.0[usize::from(channel & 15)] |= 1u128 << (pitch & 127);
    }

    fn note_off(&mut self, channel: u8, pitch: u8) {
        self.0[usize::from(channel & 15)] &= !(1u128 << (pitch & 127));
    }

    /// Calls `f(channel, pitch)` for every note and forgets them all.
    fn drain(&mut self, mut f: impl FnMut(u8, u8)) {
        for (channel, bits) in self.0.iter_mut().enumerate() {
            while *bits != 0 {
                let pitch = bits.trailing_zeros() as u8;
                *bits &= *bits - 1;
                f(channel as u8, pitch);
            }
        }
    }
}

/// Sends an engine event to the host, keeping `notes` in step with what the host saw.
fn send(context: &mut impl ProcessContext<DeepMidi>, notes: &mut HostNotes, event: EngineEvent) {
    let note = match event {
        EngineEvent::NoteOn {
            sample,
            pitch,
            velocity,
            channel,
        } => NoteEvent::NoteOn {
            timing: sample,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(channel & 15),
            key: Key::Number(pitch & 127),
            velocity: f32::from(velocity.min(127)) / 127.0,
        },
        EngineEvent::NoteOff {
            sample,
            pitch,
            channel,
        } => NoteEvent::NoteOff {
            timing: sample,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(channel & 15),
            key: Key::Number(pitch & 127),
            velocity: 0.0,
        },
    };
    if context.try_send_event(note).is_ok() {
        match event {
            EngineEvent::NoteOn { pitch, channel, .. } => notes.note_on(channel, pitch),
            EngineEvent::NoteOff { pitch, channel, .. } => notes.note_off(channel, pitch),
        }
    }
}

/// Sends a note-off at sample 0 for every note the host has sounding.
fn end_host_notes(context: &mut impl ProcessContext<DeepMidi>, notes: &mut HostNotes) {
    notes.drain(|channel, pitch| {
        let _ = context.try_send_event(NoteEvent::NoteOff {
            timing: 0,
            voice_id: VoiceID::Wildcard,
            channel: Channel::Number(channel),
            key: Key::Number(pitch),
            velocity: 0.0,
        });
    });
}

/// The engine's view of the host's transport.
fn engine_transport(t: &nice_plug::prelude::Transport) -> Transport {
    let beats_per_bar = match (t.time_sig_numerator, t.time_sig_denominator) {
        (Some(n), Some(d)) if n > 0 && d > 0 => Some(f64::from(n) * 4.0 / f64::from(d)),
        _ => None,
    };
    Transport {
        playing: t.playing,
        tempo_bpm: t.tempo.filter(|bpm| bpm.is_finite() && *bpm > 0.0),
        position_beats: t.pos_beats().filter(|b| b.is_finite()),
        // Only what the host gave (CLAP seconds, VST3 samples), never derived from the beats.
        position_seconds: t
            .pos_seconds
            .or_else(|| t.pos_samples.map(|s| s as f64 / f64::from(t.sample_rate)))
            .filter(|s| s.is_finite()),
        bar_start_beats: t.bar_start_pos_beats().filter(|b| b.is_finite()),
        beats_per_bar,
        loop_beats: t.loop_range_beats,
    }
}

impl DeepMidi {
    /// Audio thread: reacts to parameter edges, then renders one buffer.
    fn render(&mut self, frames: u32, context: &mut impl ProcessContext<Self>) {
        let notes = &mut self.host_notes;
        if std::mem::take(&mut self.flush_pending) {
            end_host_notes(context, notes);
        }
        let Some(loaded) = self.loaded.as_mut() else {
            return;
        };
        let mut out = |e: EngineEvent| send(context, notes, e);
        let params = &self.params;

        // The model parameter or a loaded state's model name (see `state.rs`).
        let slot = params.model_choice.selected();
        let seed = params.seed();
        if slot != self.slot {
            let (old, new) = (loaded.engine_index(self.slot), loaded.engine_index(slot));
            if let Some(engine) = loaded.engines.get_mut(old) {
                engine.all_notes_off(0, &mut out);
            }
            if let Some(engine) = loaded.engines.get_mut(new) {
                engine.reset(seed, &mut out);
            }
            self.slot = slot;
            self.last_seed = seed;
        }
        let index = loaded.engine_index(self.slot);
        let Some(engine) = loaded.engines.get_mut(index) else {
            return;
        };

        let reset = params.reset.value();
        if seed != self.last_seed || (reset && !self.last_reset) {
            engine.reset(seed, &mut out);
            self.last_seed = seed;
        }
        self.last_reset = reset;

        let bypass = params.bypass.value();
        if bypass {
            if !self.last_bypass {
                engine.all_notes_off(0, &mut out);
            }
            self.last_bypass = true;
            return;
        }
        self.last_bypass = false;

        let transport = engine_transport(context.transport());
        let engine_params = params.engine_params();
        let mut out = |e: EngineEvent| send(context, notes, e);
        engine.process(frames, &transport, &engine_params, &mut out);
    }

    /// Forgets the engine's notes; the host's get their note-offs at the next buffer.
    fn silence(&mut self) {
        let seed = self.params.seed();
        if let Some(loaded) = self.loaded.as_mut() {
            let index = loaded.engine_index(self.slot);
            if let Some(engine) = loaded.engines.get_mut(index) {
                engine.reset(seed, &mut |_| {});
            }
        }
        self.last_seed = seed;
        self.flush_pending = true;
    }
}

impl Plugin for DeepMidi {
    const NAME: &'static str = "DeepMIDI";
    const VENDOR: &'static str = "DeepMIDI";
    const URL: &'static str = "";
    const EMAIL: &'static str = "";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    // Silent stereo output: hosts that refuse MIDI-only plugins still load it.
    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_input_channels: None,
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];
    const MIDI_INPUT: MidiConfig = MidiConfig::None;
    const MIDI_OUTPUT: MidiConfig = MidiConfig::Basic;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// A damaged, hand-edited or foreign project's unusable values load as defaults, and the
    /// model index follows the saved model name.
    fn filter_state(state: &mut PluginState) {
        let repaired = state_repair::repair_state(state);
        if !repaired.is_empty() {
            nice_warn!(
                "DeepMIDI: the loaded state has no usable value for {}; loading their defaults",
                repaired.join(", ")
            );
        }
        // The same listing an instance makes when it is created (a folder scan, no loading).
        let names: Vec<String> = list_models().into_iter().map(|m| m.name).collect();
        state::align_model_index(state, &names);
    }

    fn activate(
        &mut self,
        _layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        let sample_rate = f64::from(buffer_config.sample_rate);
        if !(sample_rate.is_finite() && sample_rate > 0.0) {
            return false;
        }
        let seed = self.params.seed();
        if self.failed {
            self.loaded = None;
        }
        let models = &self.models;
        let loaded = catch_unwind(AssertUnwindSafe(|| match self.loaded.take() {
            Some(mut loaded) => {
                if sample_rate != self.sample_rate {
                    loaded.set_sample_rate(sample_rate);
                }
                Some(loaded)
            }
            None => LoadedModels::load(models, sample_rate, seed),
        }));
        self.loaded = loaded.unwrap_or_else(|_| {
            nice_error!("DeepMIDI: loading the models panicked; the plugin stays silent");
            None
        });
        self.sample_rate = sample_rate;
        self.failed = false;
        self.slot = self.params.model_choice.selected();
        true
    }

    fn reset(&mut self) {
        self.silence();
    }

    fn deactivate(&mut self) {
        self.silence();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        for channel in buffer.as_slice() {
            channel.fill(0.0);
        }
        let frames = buffer.samples() as u32;
        if !self.failed {
            let rendered = catch_unwind(AssertUnwindSafe(|| self.render(frames, context)));
            if rendered.is_err() {
                // The engine's state can't be trusted any more: stop using it (until the next
                // activation rebuilds it) and end the host's notes.
                self.failed = true;
                self.flush_pending = true;
            }
        }
        if self.failed && std::mem::take(&mut self.flush_pending) {
            end_host_notes(context, &mut self.host_notes);
        }
        // Generates notes from nothing: the host must not put it to sleep on silent input.
        ProcessStatus::KeepAlive
    }
}

impl ClapPlugin for DeepMidi {
    const CLAP_ID: &'static str = "dev.deepmidi.generator";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("LSTM note generator that plays along with the host's tempo");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[ClapFeature::Instrument, ClapFeature::Utility];
}

impl Vst3Plugin for DeepMidi {
    const VST3_CLASS_ID: [u8; 16] = *b"DeepMIDI-LSTMgen";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Instrument, Vst3SubCategory::Generator];
}

nice_export_clap!(DeepMidi);
nice_export_vst3!(DeepMidi);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_notes_drain_every_note_once() {
        let mut notes = HostNotes::default();
        notes.note_on(0, 60);
        notes.note_on(15, 127);
        notes.note_on(3, 0);
        notes.note_on(3, 5);
        notes.note_off(3, 5);
        let mut seen = Vec::new();
        notes.drain(|c, p| seen.push((c, p)));
        assert_eq!(seen, [(0, 60), (3, 0), (15, 127)]);
        notes.drain(|_, _| panic!("drained twice"));
    }

    #[test]
    fn transport_bar_length_comes_from_the_time_signature() {
        let mut t = nice_plug::prelude::Transport::new(48_000.0);
        t.playing = true;
        t.tempo = Some(140.0);
        t.pos_beats = Some(5.5);
        t.time_sig_numerator = Some(6);
        t.time_sig_denominator = Some(8);
        let e = engine_transport(&t);
        assert_eq!(e.beats_per_bar, Some(3.0));
        assert_eq!(e.bar_start_beats, Some(3.0));
        assert_eq!(e.tempo_bpm, Some(140.0));
        t.tempo = Some(f64::NAN);
        assert_eq!(engine_transport(&t).tempo_bpm, None);
    }
}
