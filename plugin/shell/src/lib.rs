//! The CLAP + VST3 plugin: a thin nice-plug shell around `deepmidi_engine`'s [`Player`]. The
//! only crate that knows about nice-plug; it maps the parameters, the host's transport and
//! note events onto the player, and nothing more.
//!
//! - Creation lists the models (cheap); activation has the player load every model and build
//!   one engine per model, off the audio thread.
//! - `process` hands the player this buffer's controls and transport and sends its notes to
//!   the host; the audio output is silence.
//! - A panic in the engine is caught at the plugin boundary: the plugin ends the host's notes
//!   and stays silent until reactivated.

mod editor;
mod params;
mod state;
mod state_repair;

pub use params::DeepMidiParams;

use deepmidi_engine::catalogue::{self, model_cards, BuiltinModel, ModelEntry, ModelNames};
use deepmidi_engine::monitor::{monitor_channel, MonitorReceiver, MonitorSender, MONITOR_CAPACITY};
use deepmidi_engine::player::{InputNotes, Player};
use deepmidi_engine::realtime::{EngineEvent, Transport};
use nice_plug::midi::{Channel, Key, VoiceID};
use nice_plug::prelude::*;
use std::num::NonZeroU32;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

// `BUILTIN_MODELS`: the workspace's `models/` folder, embedded by `build.rs`.
include!(concat!(env!("OUT_DIR"), "/builtin_models.rs"));

/// The model list: built-in models, then the user's (a folder that cannot be read is logged).
fn list_models() -> Vec<ModelEntry> {
    let (models, problem) = catalogue::list_models(BUILTIN_MODELS);
    if let Some(problem) = problem {
        nice_warn!("DeepMIDI: {problem}");
    }
    models
}

pub struct DeepMidi {
    params: Arc<DeepMidiParams>,
    models: Vec<ModelEntry>,
    player: Player,
    /// The musician's notes of the buffer being processed (allocated once).
    input: InputNotes,
    /// What the window sees of the audio thread, and its receiving end until the window
    /// takes it.
    monitor: MonitorSender,
    monitor_receiver: Option<MonitorReceiver>,
    /// Set after the engine panicked: the plugin stays silent until reactivated.
    failed: bool,
}

impl Default for DeepMidi {
    fn default() -> Self {
        let models = list_models();
        let params = Arc::new(DeepMidiParams::new(ModelNames::new(&models)));
        let (monitor, receiver) = monitor_channel(MONITOR_CAPACITY);
        DeepMidi {
            monitor,
            monitor_receiver: Some(receiver),
            player: Player::new(params.seed()),
            input: InputNotes::new(),
            params,
            models,
            failed: false,
        }
    }
}

/// Sends an engine event to the host as a nice-plug note event; whether the host took it.
fn send(context: &mut impl ProcessContext<DeepMidi>, event: EngineEvent) -> bool {
    let (timing, voice_id) = (event.sample(), VoiceID::Wildcard);
    let channel = Channel::Number(event.channel() & 15);
    let key = Key::Number(event.pitch() & 127);
    let note = match event.velocity() {
        Some(v) => NoteEvent::NoteOn {
            timing,
            voice_id,
            channel,
            key,
            velocity: f32::from(v.min(127)) / 127.0,
        },
        None => NoteEvent::NoteOff {
            timing,
            voice_id,
            channel,
            key,
            velocity: 0.0,
        },
    };
    context.try_send_event(note).is_ok()
}

/// The engine's view of a note the host sent in, its timing kept inside the buffer; `None`
/// for every other event. A note-on of velocity 0 is a note-off, as in MIDI.
/// A note for any key (a CLAP wildcard) is not one the engine can hear; any channel is the
/// first.
fn engine_input(event: PluginNoteEvent<DeepMidi>, frames: u32) -> Option<EngineEvent> {
    let last = frames.saturating_sub(1);
    match event {
        NoteEvent::NoteOn {
            timing,
            channel,
            key,
            velocity,
            ..
        } if velocity > 0.0 => Some(EngineEvent::NoteOn {
            sample: timing.min(last),
            pitch: key.number()? & 127,
            velocity: (velocity * 127.0).round().clamp(1.0, 127.0) as u8,
            channel: channel.number().unwrap_or(0) & 15,
        }),
        NoteEvent::NoteOn {
            timing,
            channel,
            key,
            ..
        }
        | NoteEvent::NoteOff {
            timing,
            channel,
            key,
            ..
        } => Some(EngineEvent::NoteOff {
            sample: timing.min(last),
            pitch: key.number()? & 127,
            channel: channel.number().unwrap_or(0) & 15,
        }),
        _ => None,
    }
}

/// The engine's view of the host's transport.
fn engine_transport(t: &nice_plug::prelude::Transport) -> Transport {
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
        meter: Transport::meter_of(t.time_sig_numerator, t.time_sig_denominator),
        loop_beats: t.loop_range_beats,
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
    // Notes in: what Listen hears and Thru passes on.
    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
    const MIDI_OUTPUT: MidiConfig = MidiConfig::Basic;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = editor::DeepMidiEditor;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    /// Asked once: the window takes the monitor's receiving end with it.
    fn editor(&mut self, _executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        let monitor = self.monitor_receiver.take()?;
        Some(editor::create(
            self.params.clone(),
            monitor,
            model_cards(&self.models),
        ))
    }

    /// An older project's state is brought up to date, a damaged, hand-edited or foreign
    /// project's unusable values load as defaults, and the model index follows the saved
    /// model name.
    fn filter_state(state: &mut PluginState) {
        state_repair::migrate_state(state);
        let repaired = state_repair::repair_state(state);
        if !repaired.is_empty() {
            nice_warn!(
                "DeepMIDI: the loaded state has no usable value for {}; loading their defaults",
                repaired.join(", ")
            );
        }
        // The same listing an instance makes when it is created (a folder scan, no loading).
        state::align_model_index(state, &ModelNames::new(&list_models()));
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
        if self.failed {
            self.player.unload();
        }
        let controls = self.params.controls();
        let log = &mut |m| nice_error!("{m}");
        self.player
            .activate(&self.models, sample_rate, &controls, log);
        self.failed = false;
        true
    }

    fn reset(&mut self) {
        self.player.silence(self.params.seed());
    }

    fn deactivate(&mut self) {
        self.player.silence(self.params.seed());
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
        self.input.clear();
        while let Some(event) = context.next_event() {
            if let Some(note) = engine_input(event, frames) {
                self.input.push(note);
            }
        }
        if !self.failed {
            let controls = self.params.controls();
            let transport = engine_transport(context.transport());
            let (player, input) = (&mut self.player, self.input.as_slice());
            let monitor = &mut self.monitor;
            let rendered = catch_unwind(AssertUnwindSafe(|| {
                player.process(
                    frames,
                    &transport,
                    &controls,
                    input,
                    Some(monitor),
                    &mut |e| send(context, e),
                )
            }));
            if rendered.is_err() {
                // The engine's state can't be trusted any more: stop using it (until the next
                // activation rebuilds it) and end the host's notes, in this buffer.
                self.failed = true;
                self.player.end_host_notes(&mut |e| send(context, e));
            }
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
    fn transport_bar_length_comes_from_the_time_signature() {
        let mut t = nice_plug::prelude::Transport::new(48_000.0);
        t.playing = true;
        t.tempo = Some(140.0);
        t.pos_beats = Some(5.5);
        t.time_sig_numerator = Some(6);
        t.time_sig_denominator = Some(8);
        let e = engine_transport(&t);
        assert_eq!(e.meter.map(|m| m.to_string()), Some("6/8".to_owned()));
        assert_eq!(e.bar_quarters(), 3.0);
        assert_eq!(e.bar_start_beats, Some(3.0));
        assert_eq!(e.tempo_bpm, Some(140.0));
        t.tempo = Some(f64::NAN);
        assert_eq!(engine_transport(&t).tempo_bpm, None);
        // A time signature no score has is no meter: the engine then counts 4/4.
        t.time_sig_denominator = Some(7);
        assert_eq!(engine_transport(&t).meter, None);
    }
}
