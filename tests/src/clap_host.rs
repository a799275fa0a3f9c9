//! A CLAP host on `clack-host`: loads the `.clap` file, instantiates its first plugin, feeds
//! it a transport event every buffer and parameter changes as input events, and reads the
//! note events from its output event list.

use crate::capture::BufferEvent;
use crate::host::{sort_for_sending, PluginHost};
use crate::transport::TransportSnapshot;
use clack_extensions::gui::{GuiSize, HostGui, HostGuiImpl};
use clack_extensions::note_ports::PluginNotePorts;
use clack_extensions::params::{ParamInfoBuffer, ParamInfoFlags, PluginParams};
use clack_extensions::state::PluginState;
use clack_host::events::event_types::{
    NoteOffEvent, NoteOnEvent, ParamValueEvent, TransportEvent, TransportFlags,
};
use clack_host::events::{EventFlags, EventHeader, Match};
use clack_host::prelude::*;
use clack_host::utils::{BeatTime, SecondsTime};
use std::ffi::{CStr, CString};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Wraps a plugin's state JSON the way nice-plug's CLAP wrapper writes it to the state
/// stream (a little-endian u64 length, then the bytes), so tests can hand it made-up states.
pub fn frame_state(json: &[u8]) -> Vec<u8> {
    let mut framed = (json.len() as u64).to_le_bytes().to_vec();
    framed.extend_from_slice(json);
    framed
}

/// The host callbacks: `request_callback` (the plugin's main-thread tasks, and its editor
/// window's calls to the host) and the GUI extension's.
#[derive(Default)]
pub struct Shared {
    callback_requested: AtomicBool,
    /// The editor window told the host it is gone (`clap_host_gui.closed`).
    pub(crate) gui_closed: AtomicBool,
}

impl SharedHandler<'_> for Shared {
    fn request_restart(&self) {}
    fn request_process(&self) {}
    fn request_callback(&self) {
        self.callback_requested.store(true, Ordering::Release);
    }
}

/// nice-plug's wrapper needs the host's GUI extension to open its editor. The test host's
/// parent window has a fixed size and is always shown: it refuses resizes and ignores
/// show and hide requests.
impl HostGuiImpl for Shared {
    fn resize_hints_changed(&self) {}
    fn request_resize(&self, _: GuiSize) -> Result<(), HostError> {
        Err(HostError::Message(
            "the test host's window has a fixed size",
        ))
    }
    fn request_show(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn request_hide(&self) -> Result<(), HostError> {
        Ok(())
    }
    fn closed(&self, _was_destroyed: bool) {
        self.gui_closed.store(true, Ordering::Release);
    }
}

pub struct TestHost;

impl HostHandlers for TestHost {
    type Shared<'a> = Shared;
    type MainThread<'a> = ();
    type AudioProcessor<'a> = ();

    fn declare_extensions(builder: &mut HostExtensions<Self>, _: &Shared) {
        builder.register::<HostGui>();
    }
}

struct ParamEntry {
    name: String,
    id: ClapId,
    /// CLAP values run 0..=max; nice-plug's are normalized × step count.
    max: f64,
    stepped: bool,
}

pub struct ClapHost {
    processor: Option<StartedPluginAudioProcessor<TestHost>>,
    instance: PluginInstance<TestHost>,
    _entry: PluginEntry,
    params: PluginParams,
    state: PluginState,
    param_list: Vec<ParamEntry>,
    /// Parameter changes for the next buffer.
    pending: Vec<(ClapId, f64)>,
    /// Note events for the next buffer, in sending order.
    pending_notes: Vec<BufferEvent>,
    note_ports: Option<PluginNotePorts>,
    in_events: EventBuffer,
    out_events: EventBuffer,
    audio: [Vec<f32>; 2],
    out_ports: AudioPorts,
    steady_time: u64,
}

impl ClapHost {
    /// Loads the CLAP library at `path` and creates its plugin (inactive).
    pub fn load(path: &Path) -> ClapHost {
        // SAFETY: the file is our own plugin, built for this platform.
        let entry = unsafe { PluginEntry::load(path) }
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let id: CString = {
            let factory = entry.get_plugin_factory().expect("a plugin factory");
            let descriptor = factory
                .plugin_descriptors()
                .next()
                .expect("a plugin in the factory");
            descriptor.id().expect("a plugin id").to_owned()
        };
        let info = HostInfo::new(
            "DeepMIDI test host",
            "DeepMIDI",
            "https://example.invalid",
            "1.0",
        )
        .unwrap();
        let mut instance =
            PluginInstance::<TestHost>::new(|_| Shared::default(), |_| (), &entry, &id, &info)
                .unwrap_or_else(|e| panic!("creating the plugin: {e}"));
        let shared = instance.plugin_shared_handle();
        let params: PluginParams = shared.get_extension().expect("the params extension");
        let state: PluginState = shared.get_extension().expect("the state extension");
        let note_ports: Option<PluginNotePorts> = shared.get_extension();
        let handle = instance.plugin_handle();
        let mut buffer = ParamInfoBuffer::new();
        let param_list = (0..params.count(&handle))
            .filter_map(|i| {
                let info = params.get_info(&handle, i, &mut buffer)?;
                Some(ParamEntry {
                    name: String::from_utf8_lossy(info.name).into_owned(),
                    id: info.id,
                    max: info.max_value,
                    stepped: info.flags.contains(ParamInfoFlags::IS_STEPPED),
                })
            })
            .collect();
        ClapHost {
            processor: None,
            instance,
            _entry: entry,
            params,
            state,
            param_list,
            pending: Vec::new(),
            pending_notes: Vec::new(),
            note_ports,
            in_events: EventBuffer::with_capacity(64),
            out_events: EventBuffer::with_capacity(1024),
            audio: [Vec::new(), Vec::new()],
            out_ports: AudioPorts::with_capacity(2, 1),
            steady_time: 0,
        }
    }

    /// The plugin's descriptor features (e.g. "instrument").
    pub fn features(path: &Path) -> Vec<String> {
        // SAFETY: as in `load`.
        let entry = unsafe { PluginEntry::load(path) }.unwrap();
        let factory = entry.get_plugin_factory().unwrap();
        let descriptor = factory.plugin_descriptors().next().unwrap();
        descriptor
            .features()
            .map(|f: &CStr| f.to_string_lossy().into_owned())
            .collect()
    }

    /// The plugin's descriptor version.
    pub fn version(path: &Path) -> String {
        // SAFETY: as in `load`.
        let entry = unsafe { PluginEntry::load(path) }.unwrap();
        let factory = entry.get_plugin_factory().unwrap();
        let descriptor = factory.plugin_descriptors().next().unwrap();
        descriptor
            .version()
            .map(|v: &CStr| v.to_string_lossy().into_owned())
            .unwrap_or_default()
    }

    fn entry(&self, name: &str) -> &ParamEntry {
        self.param_list
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no parameter {name:?}"))
    }

    /// The plugin instance, for the GUI extension ([`crate::clap_gui`]).
    pub(crate) fn instance(&mut self) -> &mut PluginInstance<TestHost> {
        &mut self.instance
    }

    /// Runs the plugin's main-thread tasks if it asked for that (`process` does it after
    /// every buffer; a host with the editor open does it between buffers too).
    pub fn main_thread_callback(&mut self) {
        if self
            .instance
            .access_shared_handler(|s| s.callback_requested.swap(false, Ordering::AcqRel))
        {
            self.instance.call_on_main_thread_callback();
        }
    }
}

fn transport_event(t: &TransportSnapshot) -> TransportEvent {
    let mut flags = TransportFlags::HAS_TEMPO
        | TransportFlags::HAS_BEATS_TIMELINE
        | TransportFlags::HAS_TIME_SIGNATURE;
    if t.position_samples.is_some() {
        flags |= TransportFlags::HAS_SECONDS_TIMELINE;
    }
    if t.playing {
        flags |= TransportFlags::IS_PLAYING;
    }
    let (loop_start, loop_end) = t.loop_beats.unwrap_or((0.0, 0.0));
    if t.loop_beats.is_some() {
        flags |= TransportFlags::IS_LOOP_ACTIVE;
    }
    let seconds = |beats: f64| SecondsTime::from_float(beats * 60.0 / t.tempo);
    TransportEvent {
        header: EventHeader::new_core(0, EventFlags::empty()),
        flags,
        song_pos_beats: BeatTime::from_float(t.position_beats),
        song_pos_seconds: SecondsTime::from_float(t.position_seconds().unwrap_or(0.0)),
        tempo: t.tempo,
        tempo_inc: 0.0,
        loop_start_beats: BeatTime::from_float(loop_start),
        loop_end_beats: BeatTime::from_float(loop_end),
        loop_start_seconds: seconds(loop_start),
        loop_end_seconds: seconds(loop_end),
        bar_start: BeatTime::from_float(t.bar_start_beats),
        bar_number: t.bar_number,
        time_signature_numerator: t.time_signature.0,
        time_signature_denominator: t.time_signature.1,
    }
}

impl PluginHost for ClapHost {
    fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        assert!(self.processor.is_none(), "already active");
        let config = PluginAudioConfiguration {
            sample_rate,
            min_frames_count: 1,
            max_frames_count: max_frames,
        };
        let stopped = self
            .instance
            .activate(|_, _| (), config)
            .unwrap_or_else(|e| panic!("activate: {e}"));
        self.processor = Some(
            stopped
                .start_processing()
                .unwrap_or_else(|e| panic!("start processing: {e}")),
        );
        self.audio = [
            vec![0.0; max_frames as usize],
            vec![0.0; max_frames as usize],
        ];
    }

    fn deactivate(&mut self) {
        if let Some(processor) = self.processor.take() {
            let stopped = processor.stop_processing();
            self.instance.deactivate(stopped);
        }
    }

    fn is_active(&self) -> bool {
        self.processor.is_some()
    }

    fn reset(&mut self) {
        if let Some(p) = self.processor.as_mut() {
            p.reset();
        }
    }

    fn process(&mut self, frames: u32, t: Option<&TransportSnapshot>) -> Vec<BufferEvent> {
        let frames_usize = frames as usize;
        self.in_events.clear();
        for (id, value) in self.pending.drain(..) {
            self.in_events
                .push(&ParamValueEvent::new(0, id, Pckn::match_all(), value));
        }
        for e in self.pending_notes.drain(..) {
            let target = Pckn::new(0u16, u16::from(e.channel), u16::from(e.pitch), Match::All);
            if e.on {
                self.in_events
                    .push(&NoteOnEvent::new(e.offset, target, e.velocity));
            } else {
                self.in_events
                    .push(&NoteOffEvent::new(e.offset, target, e.velocity));
            }
        }
        self.out_events.clear();
        let transport = t.map(transport_event);
        let processor = self.processor.as_mut().expect("process while inactive");
        let [left, right] = &mut self.audio;
        left[..frames_usize].fill(1.0);
        right[..frames_usize].fill(1.0);
        let mut outputs = self.out_ports.with_output_buffers([AudioPortBuffer {
            latency: 0,
            channels: AudioPortBufferType::f32_output_only(
                [&mut left[..frames_usize], &mut right[..frames_usize]].into_iter(),
            ),
        }]);
        processor
            .process(
                &InputAudioBuffers::empty(),
                &mut outputs,
                &self.in_events.as_input(),
                &mut self.out_events.as_output(),
                Some(self.steady_time),
                transport.as_ref(),
            )
            .unwrap_or_else(|e| panic!("process: {e}"));
        self.steady_time += u64::from(frames);
        assert!(
            self.audio
                .iter()
                .all(|c| c[..frames_usize].iter().all(|&s| s == 0.0)),
            "the plugin's audio output is not silent"
        );
        let events = self
            .out_events
            .iter()
            .filter_map(|e| {
                let time = e.header().time();
                if let Some(on) = e.as_event::<NoteOnEvent>() {
                    let p = on.pckn();
                    Some(BufferEvent {
                        offset: time,
                        pitch: p.raw_key() as u8,
                        channel: p.raw_channel() as u8,
                        velocity: on.velocity(),
                        on: true,
                    })
                } else {
                    e.as_event::<NoteOffEvent>().map(|off| {
                        let p = off.pckn();
                        BufferEvent {
                            offset: time,
                            pitch: p.raw_key() as u8,
                            channel: p.raw_channel() as u8,
                            velocity: off.velocity(),
                            on: false,
                        }
                    })
                }
            })
            .collect();
        self.main_thread_callback();
        events
    }

    fn send_notes(&mut self, events: &[BufferEvent]) {
        self.pending_notes.extend_from_slice(events);
        sort_for_sending(&mut self.pending_notes);
    }

    fn has_note_input(&mut self) -> bool {
        self.note_ports
            .as_ref()
            .is_some_and(|ports| ports.count(&self.instance.plugin_handle(), true) > 0)
    }

    fn param_names(&mut self) -> Vec<String> {
        self.param_list.iter().map(|p| p.name.clone()).collect()
    }

    fn set_param(&mut self, name: &str, normalized: f64) {
        let (id, max) = {
            let p = self.entry(name);
            (p.id, p.max)
        };
        let value = normalized.clamp(0.0, 1.0) * max;
        match self.instance.inactive_plugin_handle() {
            Some(mut handle) => {
                let input = [ParamValueEvent::new(0, id, Pckn::match_all(), value)];
                let mut output = EventBuffer::new();
                self.params.flush(
                    &mut handle,
                    &InputEvents::from_buffer(&input),
                    &mut output.as_output(),
                );
            }
            None => self.pending.push((id, value)),
        }
    }

    fn param(&mut self, name: &str) -> f64 {
        let (id, max) = {
            let p = self.entry(name);
            (p.id, p.max)
        };
        let value = self
            .params
            .get_value(&self.instance.plugin_handle(), id)
            .expect("a parameter value");
        value / max
    }

    fn param_text(&mut self, name: &str, normalized: f64) -> String {
        let (id, max) = {
            let p = self.entry(name);
            (p.id, p.max)
        };
        let mut buffer = [0u8; 256];
        let text = self
            .params
            .value_to_text(
                &self.instance.plugin_handle(),
                id,
                normalized * max,
                &mut buffer,
            )
            .expect("value_to_text");
        String::from_utf8_lossy(text).into_owned()
    }

    fn param_from_text(&mut self, name: &str, text: &str) -> Option<f64> {
        let (id, max) = {
            let p = self.entry(name);
            (p.id, p.max)
        };
        let text = CString::new(text).ok()?;
        let value = self
            .params
            .text_to_value(&self.instance.plugin_handle(), id, &text)?;
        Some(value / max)
    }

    fn param_steps(&mut self, name: &str) -> Option<u32> {
        let p = self.entry(name);
        p.stepped.then_some(p.max.round() as u32)
    }

    fn save_state(&mut self) -> Vec<u8> {
        let mut bytes = Vec::new();
        self.state
            .save(&self.instance.plugin_handle(), &mut bytes)
            .expect("state save");
        bytes
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), String> {
        let mut reader = std::io::Cursor::new(state);
        self.state
            .load(&self.instance.plugin_handle(), &mut reader)
            .map_err(|e| e.to_string())?;
        self.main_thread_callback();
        Ok(())
    }
}

impl Drop for ClapHost {
    fn drop(&mut self) {
        self.deactivate();
    }
}
