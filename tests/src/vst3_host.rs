//! A VST3 host on the `vst3` bindings: loads the library inside the `.vst3` bundle, calls
//! `ModuleEntry` and `GetPluginFactory`, creates the audio module class, and drives it
//! through `IComponent`/`IAudioProcessor` with a `ProcessContext` every buffer, an input
//! `IEventList` with the notes played into it (on its event input bus, when it has one), an
//! output `IEventList` that captures the notes it plays, `IParameterChanges` for automation while processing,
//! and an `IBStream` for `getState`/`setState`. nice-plug's plugin is a single-component
//! effect, so its `IEditController` is the component itself.

use crate::capture::BufferEvent;
use crate::host::{sort_for_sending, PluginHost};
use crate::transport::TransportSnapshot;
use std::cell::{Cell, RefCell};
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::ptr::null_mut;
use std::sync::Mutex;
use vst3::Steinberg::Vst::BusDirections_::{kInput, kOutput};
use vst3::Steinberg::Vst::Event_::EventTypes_::{kNoteOffEvent, kNoteOnEvent};
use vst3::Steinberg::Vst::MediaTypes_::{kAudio, kEvent};
use vst3::Steinberg::Vst::ProcessContext_::StatesAndFlags_::*;
use vst3::Steinberg::Vst::ProcessModes_::kRealtime;
use vst3::Steinberg::Vst::SymbolicSampleSizes_::kSample32;
use vst3::Steinberg::Vst::*;
use vst3::Steinberg::*;
use vst3::{Class, ComPtr, ComWrapper, Interface};

const AUDIO_MODULE_CLASS: &[u8] = b"Audio Module Class";
const AUDIO: MediaType = kAudio as MediaType;
const EVENT: MediaType = kEvent as MediaType;
const OUTPUT: BusDirection = kOutput as BusDirection;
const INPUT: BusDirection = kInput as BusDirection;

/// The host's `IEventList`: the host's note events for the plugin's input, or the plugin's
/// output events, which it adds here.
#[derive(Default)]
struct EventList {
    events: RefCell<Vec<Event>>,
}

impl Class for EventList {
    type Interfaces = (IEventList,);
}

impl IEventListTrait for EventList {
    unsafe fn getEventCount(&self) -> int32 {
        self.events.borrow().len() as int32
    }

    unsafe fn getEvent(&self, index: int32, e: *mut Event) -> tresult {
        match (self.events.borrow().get(index as usize), e.is_null()) {
            (Some(event), false) => {
                *e = *event;
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addEvent(&self, e: *mut Event) -> tresult {
        if e.is_null() {
            return kInvalidArgument;
        }
        self.events.borrow_mut().push(*e);
        kResultOk
    }
}

/// One parameter's automation points in a buffer.
struct ParamQueue {
    id: ParamID,
    points: RefCell<Vec<(int32, ParamValue)>>,
}

impl Class for ParamQueue {
    type Interfaces = (IParamValueQueue,);
}

impl IParamValueQueueTrait for ParamQueue {
    unsafe fn getParameterId(&self) -> ParamID {
        self.id
    }

    unsafe fn getPointCount(&self) -> int32 {
        self.points.borrow().len() as int32
    }

    unsafe fn getPoint(&self, index: int32, offset: *mut int32, value: *mut ParamValue) -> tresult {
        match self.points.borrow().get(index as usize) {
            Some(&(o, v)) if !offset.is_null() && !value.is_null() => {
                *offset = o;
                *value = v;
                kResultOk
            }
            _ => kInvalidArgument,
        }
    }

    unsafe fn addPoint(&self, offset: int32, value: ParamValue, index: *mut int32) -> tresult {
        let mut points = self.points.borrow_mut();
        if !index.is_null() {
            *index = points.len() as int32;
        }
        points.push((offset, value));
        kResultOk
    }
}

/// The host's `IParameterChanges` for one buffer.
#[derive(Default)]
struct ParameterChanges {
    queues: RefCell<Vec<ComWrapper<ParamQueue>>>,
}

impl ParameterChanges {
    fn add(&self, id: ParamID, value: ParamValue) {
        let queue = ParamQueue {
            id,
            points: RefCell::new(vec![(0, value)]),
        };
        self.queues.borrow_mut().push(ComWrapper::new(queue));
    }
}

impl Class for ParameterChanges {
    type Interfaces = (IParameterChanges,);
}

impl IParameterChangesTrait for ParameterChanges {
    unsafe fn getParameterCount(&self) -> int32 {
        self.queues.borrow().len() as int32
    }

    unsafe fn getParameterData(&self, index: int32) -> *mut IParamValueQueue {
        match self.queues.borrow().get(index as usize) {
            Some(q) => q
                .as_com_ref::<IParamValueQueue>()
                .map_or(null_mut(), |r| r.as_ptr()),
            None => null_mut(),
        }
    }

    unsafe fn addParameterData(
        &self,
        id: *const ParamID,
        index: *mut int32,
    ) -> *mut IParamValueQueue {
        if id.is_null() {
            return null_mut();
        }
        let queue = ComWrapper::new(ParamQueue {
            id: *id,
            points: RefCell::new(Vec::new()),
        });
        let ptr = queue
            .as_com_ref::<IParamValueQueue>()
            .map_or(null_mut(), |r| r.as_ptr());
        let mut queues = self.queues.borrow_mut();
        if !index.is_null() {
            *index = queues.len() as int32;
        }
        queues.push(queue);
        ptr
    }
}

/// An in-memory `IBStream`.
#[derive(Default)]
struct MemoryStream {
    data: RefCell<Vec<u8>>,
    pos: Cell<usize>,
}

impl Class for MemoryStream {
    type Interfaces = (IBStream,);
}

impl IBStreamTrait for MemoryStream {
    unsafe fn read(&self, buffer: *mut c_void, n: int32, read: *mut int32) -> tresult {
        let data = self.data.borrow();
        let pos = self.pos.get().min(data.len());
        let count = (n.max(0) as usize).min(data.len() - pos);
        if count > 0 {
            std::ptr::copy_nonoverlapping(data[pos..].as_ptr(), buffer as *mut u8, count);
        }
        self.pos.set(pos + count);
        if !read.is_null() {
            *read = count as int32;
        }
        kResultOk
    }

    unsafe fn write(&self, buffer: *mut c_void, n: int32, written: *mut int32) -> tresult {
        let count = n.max(0) as usize;
        let bytes = std::slice::from_raw_parts(buffer as *const u8, count);
        let mut data = self.data.borrow_mut();
        let pos = self.pos.get();
        if data.len() < pos + count {
            data.resize(pos + count, 0);
        }
        data[pos..pos + count].copy_from_slice(bytes);
        self.pos.set(pos + count);
        if !written.is_null() {
            *written = count as int32;
        }
        kResultOk
    }

    unsafe fn seek(&self, pos: int64, mode: int32, result: *mut int64) -> tresult {
        let base = match mode as u32 {
            IBStream_::IStreamSeekMode_::kIBSeekSet => 0,
            IBStream_::IStreamSeekMode_::kIBSeekCur => self.pos.get() as int64,
            IBStream_::IStreamSeekMode_::kIBSeekEnd => self.data.borrow().len() as int64,
            _ => return kInvalidArgument,
        };
        let new = (base + pos).max(0);
        self.pos.set(new as usize);
        if !result.is_null() {
            *result = new;
        }
        kResultOk
    }

    unsafe fn tell(&self, pos: *mut int64) -> tresult {
        if pos.is_null() {
            return kInvalidArgument;
        }
        *pos = self.pos.get() as int64;
        kResultOk
    }
}

/// The host context handed to `initialize`.
struct HostApplication;

impl Class for HostApplication {
    type Interfaces = (IHostApplication,);
}

impl IHostApplicationTrait for HostApplication {
    unsafe fn getName(&self, name: *mut String128) -> tresult {
        if name.is_null() {
            return kInvalidArgument;
        }
        write_string128(&mut *name, "DeepMIDI test host");
        kResultOk
    }

    unsafe fn createInstance(
        &self,
        _cid: *mut TUID,
        _iid: *mut TUID,
        obj: *mut *mut c_void,
    ) -> tresult {
        if !obj.is_null() {
            *obj = null_mut();
        }
        kNotImplemented
    }
}

fn write_string128(dest: &mut String128, s: &str) {
    dest.fill(0);
    for (d, c) in dest.iter_mut().take(127).zip(s.encode_utf16()) {
        *d = c;
    }
}

/// A NUL-terminated `char8` array as text.
fn c_text(chars: &[char8]) -> String {
    let bytes: Vec<u8> = chars
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn read_string128(s: &String128) -> String {
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf16_lossy(&s[..end])
}

struct Vst3Param {
    name: String,
    id: ParamID,
    steps: int32,
}

pub struct Vst3Host {
    /// The audio module class's sub-categories ("Instrument|Generator").
    pub sub_categories: String,
    /// The audio module class's version, from the factory.
    pub version: String,
    component: ComPtr<IComponent>,
    processor: ComPtr<IAudioProcessor>,
    controller: ComPtr<IEditController>,
    params: Vec<Vst3Param>,
    active: bool,
    /// The plugin's event input buses.
    event_inputs: int32,
    /// Note events for the next buffer, in sending order.
    pending_notes: Vec<BufferEvent>,
    in_events: ComWrapper<EventList>,
    out_events: ComWrapper<EventList>,
    changes: ComWrapper<ParameterChanges>,
    _host_app: ComWrapper<HostApplication>,
    audio: [Vec<f32>; 2],
}

/// Each library is loaded (and `ModuleEntry` called) once per process and kept loaded, as
/// DAWs keep plugin modules.
fn library(path: &Path) -> &'static libloading::Library {
    static LOADED: Mutex<Vec<(PathBuf, &'static libloading::Library)>> = Mutex::new(Vec::new());
    let mut loaded = LOADED.lock().unwrap();
    if let Some((_, lib)) = loaded.iter().find(|(p, _)| p == path) {
        return lib;
    }
    // SAFETY: our own plugin library, built for this platform; ModuleEntry has the SDK's
    // signature.
    let lib: &'static libloading::Library = unsafe {
        let lib =
            libloading::Library::new(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let module_entry: libloading::Symbol<unsafe extern "C" fn(*mut c_void) -> bool> =
            lib.get(b"ModuleEntry").expect("ModuleEntry");
        assert!(module_entry(null_mut()), "ModuleEntry failed");
        Box::leak(Box::new(lib))
    };
    loaded.push((path.to_path_buf(), lib));
    lib
}

impl Vst3Host {
    /// Loads the library of a `.vst3` bundle and creates its audio module (inactive).
    pub fn load(path: &Path) -> Vst3Host {
        let library = library(path);
        // SAFETY: GetPluginFactory has the SDK's signature; the calls follow the SDK.
        unsafe {
            let get_factory: libloading::Symbol<unsafe extern "system" fn() -> *mut c_void> =
                library.get(b"GetPluginFactory").expect("GetPluginFactory");
            let factory = ComPtr::<IPluginFactory>::from_raw(get_factory() as *mut IPluginFactory)
                .expect("a factory");

            let mut cid = None;
            let mut sub_categories = String::new();
            let mut version = String::new();
            let factory2 = factory.cast::<IPluginFactory2>();
            for i in 0..factory.countClasses() {
                let mut info: PClassInfo = std::mem::zeroed();
                assert_eq!(factory.getClassInfo(i, &mut info), kResultOk);
                if c_text(&info.category) == String::from_utf8_lossy(AUDIO_MODULE_CLASS) {
                    cid = Some(info.cid);
                    if let Some(f2) = &factory2 {
                        let mut info2: PClassInfo2 = std::mem::zeroed();
                        if f2.getClassInfo2(i, &mut info2) == kResultOk {
                            sub_categories = c_text(&info2.subCategories);
                            version = c_text(&info2.version);
                        }
                    }
                }
            }
            let cid = cid.expect("an audio module class");
            let mut obj: *mut c_void = null_mut();
            let result = factory.createInstance(
                cid.as_ptr(),
                IComponent::IID.as_ptr() as FIDString,
                &mut obj,
            );
            assert_eq!(result, kResultOk, "createInstance");
            let component =
                ComPtr::<IComponent>::from_raw(obj as *mut IComponent).expect("a component");

            let host_app = ComWrapper::new(HostApplication);
            let context = host_app
                .as_com_ref::<FUnknown>()
                .expect("FUnknown")
                .as_ptr();
            assert_eq!(component.initialize(context), kResultOk, "initialize");
            let processor = component
                .cast::<IAudioProcessor>()
                .expect("IAudioProcessor");
            let controller = component
                .cast::<IEditController>()
                .expect("IEditController");

            let event_inputs = component.getBusCount(EVENT, INPUT);
            let mut params = Vec::new();
            for i in 0..controller.getParameterCount() {
                let mut info: ParameterInfo = std::mem::zeroed();
                if controller.getParameterInfo(i, &mut info) == kResultOk {
                    params.push(Vst3Param {
                        name: read_string128(&info.title),
                        id: info.id,
                        steps: info.stepCount,
                    });
                }
            }
            Vst3Host {
                sub_categories,
                version,
                component,
                processor,
                controller,
                params,
                active: false,
                event_inputs,
                pending_notes: Vec::new(),
                in_events: ComWrapper::new(EventList::default()),
                out_events: ComWrapper::new(EventList::default()),
                changes: ComWrapper::new(ParameterChanges::default()),
                _host_app: host_app,
                audio: [Vec::new(), Vec::new()],
            }
        }
    }

    fn param_id(&self, name: &str) -> ParamID {
        self.params
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no parameter {name:?}"))
            .id
    }

    /// The bus counts: (audio outputs, event outputs).
    pub fn output_buses(&self) -> (int32, int32) {
        // SAFETY: plain queries on a live component.
        unsafe {
            (
                self.component.getBusCount(AUDIO, OUTPUT),
                self.component.getBusCount(EVENT, OUTPUT),
            )
        }
    }
}

/// A note event for the plugin's input: no note id, no tuning.
fn input_event(e: &BufferEvent) -> Event {
    // SAFETY: Event is plain data; all-zero is a valid value.
    let mut event: Event = unsafe { std::mem::zeroed() };
    event.sampleOffset = e.offset as int32;
    let (channel, pitch, velocity) = (e.channel.into(), e.pitch.into(), e.velocity as f32);
    if e.on {
        event.r#type = kNoteOnEvent as u16;
        event.__field0.noteOn = NoteOnEvent {
            channel,
            pitch,
            tuning: 0.0,
            velocity,
            length: 0,
            noteId: -1,
        };
    } else {
        event.r#type = kNoteOffEvent as u16;
        event.__field0.noteOff = NoteOffEvent {
            channel,
            pitch,
            velocity,
            noteId: -1,
            tuning: 0.0,
        };
    }
    event
}

fn process_context(t: &TransportSnapshot) -> ProcessContext {
    // SAFETY: ProcessContext is plain data; all-zero is a valid (empty) value.
    let mut c: ProcessContext = unsafe { std::mem::zeroed() };
    let mut state = kTempoValid | kProjectTimeMusicValid | kBarPositionValid | kTimeSigValid;
    if t.playing {
        state |= kPlaying;
    }
    if let Some((start, end)) = t.loop_beats {
        state |= kCycleActive | kCycleValid;
        c.cycleStartMusic = start;
        c.cycleEndMusic = end;
    }
    c.state = state;
    c.sampleRate = t.sample_rate;
    // Hosts without a sample clock leave it at 0.
    c.projectTimeSamples = t.position_samples.unwrap_or(0);
    c.projectTimeMusic = t.position_beats;
    c.barPositionMusic = t.bar_start_beats;
    c.tempo = t.tempo;
    c.timeSigNumerator = i32::from(t.time_signature.0);
    c.timeSigDenominator = i32::from(t.time_signature.1);
    c
}

impl PluginHost for Vst3Host {
    fn activate(&mut self, sample_rate: f64, max_frames: u32) {
        assert!(!self.active, "already active");
        // SAFETY: the documented call order on a live component.
        unsafe {
            assert_eq!(self.component.activateBus(AUDIO, OUTPUT, 0, 1), kResultOk);
            assert_eq!(self.component.activateBus(EVENT, OUTPUT, 0, 1), kResultOk);
            if self.event_inputs > 0 {
                assert_eq!(self.component.activateBus(EVENT, INPUT, 0, 1), kResultOk);
            }
            let mut setup = ProcessSetup {
                processMode: kRealtime as int32,
                symbolicSampleSize: kSample32 as int32,
                maxSamplesPerBlock: max_frames as int32,
                sampleRate: sample_rate,
            };
            assert_eq!(
                self.processor.setupProcessing(&mut setup),
                kResultOk,
                "setupProcessing"
            );
            assert_eq!(self.component.setActive(1), kResultOk, "setActive");
            assert_eq!(self.processor.setProcessing(1), kResultOk, "setProcessing");
        }
        self.audio = [
            vec![0.0; max_frames as usize],
            vec![0.0; max_frames as usize],
        ];
        self.active = true;
    }

    fn deactivate(&mut self) {
        if self.active {
            // SAFETY: as in `activate`.
            unsafe {
                self.processor.setProcessing(0);
                self.component.setActive(0);
            }
            self.active = false;
        }
    }

    fn is_active(&self) -> bool {
        self.active
    }

    fn reset(&mut self) {
        if self.active {
            // SAFETY: as in `activate`; nice-plug resets the plugin when processing starts.
            unsafe {
                self.processor.setProcessing(0);
                assert_eq!(self.processor.setProcessing(1), kResultOk, "setProcessing");
            }
        }
    }

    fn process(&mut self, frames: u32, t: Option<&TransportSnapshot>) -> Vec<BufferEvent> {
        assert!(self.active, "process while inactive");
        let n = frames as usize;
        let [left, right] = &mut self.audio;
        left[..n].fill(1.0);
        right[..n].fill(1.0);
        let mut channels = [left.as_mut_ptr(), right.as_mut_ptr()];
        let mut outputs = AudioBusBuffers {
            numChannels: 2,
            silenceFlags: 0,
            __field0: AudioBusBuffers__type0 {
                channelBuffers32: channels.as_mut_ptr(),
            },
        };
        let mut context = t.map(process_context);
        self.out_events.events.borrow_mut().clear();
        self.in_events
            .events
            .borrow_mut()
            .extend(self.pending_notes.drain(..).map(|e| input_event(&e)));
        let has_changes = !self.changes.queues.borrow().is_empty();
        let mut data = ProcessData {
            processMode: kRealtime as int32,
            symbolicSampleSize: kSample32 as int32,
            numSamples: frames as int32,
            numInputs: 0,
            numOutputs: 1,
            inputs: null_mut(),
            outputs: &mut outputs,
            inputParameterChanges: if has_changes {
                self.changes
                    .as_com_ref::<IParameterChanges>()
                    .unwrap()
                    .as_ptr()
            } else {
                null_mut()
            },
            outputParameterChanges: null_mut(),
            // A DAW gives a plugin with an event input an event list every buffer.
            inputEvents: if self.event_inputs > 0 {
                self.in_events.as_com_ref::<IEventList>().unwrap().as_ptr()
            } else {
                null_mut()
            },
            outputEvents: self.out_events.as_com_ref::<IEventList>().unwrap().as_ptr(),
            processContext: context.as_mut().map_or(null_mut(), |c| c as *mut _),
        };
        // SAFETY: every pointer in `data` outlives the call.
        let result = unsafe { self.processor.process(&mut data) };
        assert_eq!(result, kResultOk, "process");
        self.changes.queues.borrow_mut().clear();
        self.in_events.events.borrow_mut().clear();
        assert!(
            self.audio.iter().all(|c| c[..n].iter().all(|&s| s == 0.0)),
            "the plugin's audio output is not silent"
        );
        let events = self.out_events.events.borrow();
        events
            .iter()
            .filter_map(|e| {
                let offset = e.sampleOffset as u32;
                // SAFETY: the union field read matches the event type.
                unsafe {
                    match u32::from(e.r#type) {
                        x if x == kNoteOnEvent => Some(BufferEvent {
                            offset,
                            pitch: e.__field0.noteOn.pitch as u8,
                            channel: e.__field0.noteOn.channel as u8,
                            velocity: f64::from(e.__field0.noteOn.velocity),
                            on: true,
                        }),
                        x if x == kNoteOffEvent => Some(BufferEvent {
                            offset,
                            pitch: e.__field0.noteOff.pitch as u8,
                            channel: e.__field0.noteOff.channel as u8,
                            velocity: f64::from(e.__field0.noteOff.velocity),
                            on: false,
                        }),
                        _ => None,
                    }
                }
            })
            .collect()
    }

    fn send_notes(&mut self, events: &[BufferEvent]) {
        self.pending_notes.extend_from_slice(events);
        sort_for_sending(&mut self.pending_notes);
    }

    fn has_note_input(&mut self) -> bool {
        self.event_inputs > 0
    }

    fn param_names(&mut self) -> Vec<String> {
        self.params.iter().map(|p| p.name.clone()).collect()
    }

    fn set_param(&mut self, name: &str, normalized: f64) {
        let id = self.param_id(name);
        let normalized = normalized.clamp(0.0, 1.0);
        // SAFETY: plain calls on a live controller.
        unsafe {
            // The controller side, as a DAW's generic editor does; while processing, nice-plug
            // takes the change from the next buffer's parameter changes instead.
            self.controller.setParamNormalized(id, normalized);
        }
        if self.active {
            self.changes.add(id, normalized);
        }
    }

    fn param(&mut self, name: &str) -> f64 {
        let id = self.param_id(name);
        // SAFETY: a plain query.
        unsafe { self.controller.getParamNormalized(id) }
    }

    fn param_text(&mut self, name: &str, normalized: f64) -> String {
        let id = self.param_id(name);
        let mut s: String128 = [0; 128];
        // SAFETY: `s` is a valid String128.
        let result = unsafe {
            self.controller
                .getParamStringByValue(id, normalized, &mut s)
        };
        assert_eq!(result, kResultOk, "getParamStringByValue");
        read_string128(&s)
    }

    fn param_from_text(&mut self, name: &str, text: &str) -> Option<f64> {
        let id = self.param_id(name);
        let mut wide: Vec<u16> = text.encode_utf16().collect();
        wide.push(0);
        let mut value = 0.0;
        // SAFETY: a NUL-terminated UTF-16 string and a valid out pointer.
        let result = unsafe {
            self.controller
                .getParamValueByString(id, wide.as_mut_ptr() as *mut TChar, &mut value)
        };
        (result == kResultOk).then_some(value)
    }

    fn param_steps(&mut self, name: &str) -> Option<u32> {
        let steps = self.params.iter().find(|p| p.name == name)?.steps;
        (steps > 0).then_some(steps as u32)
    }

    fn save_state(&mut self) -> Vec<u8> {
        let stream = ComWrapper::new(MemoryStream::default());
        let ptr = stream.as_com_ref::<IBStream>().unwrap().as_ptr();
        // SAFETY: a live stream object.
        assert_eq!(
            unsafe { self.component.getState(ptr) },
            kResultOk,
            "getState"
        );
        let bytes = stream.data.borrow().clone();
        bytes
    }

    fn load_state(&mut self, state: &[u8]) -> Result<(), String> {
        let stream = ComWrapper::new(MemoryStream {
            data: RefCell::new(state.to_vec()),
            pos: Cell::new(0),
        });
        let ptr = stream.as_com_ref::<IBStream>().unwrap().as_ptr();
        // SAFETY: a live stream object; then the controller is told, as DAWs do.
        unsafe {
            match self.component.setState(ptr) {
                r if r == kResultOk => {
                    stream.pos.set(0);
                    self.controller.setComponentState(ptr);
                    Ok(())
                }
                r => Err(format!("setState returned {r}")),
            }
        }
    }
}

impl Drop for Vst3Host {
    fn drop(&mut self) {
        self.deactivate();
        // SAFETY: a live component, terminated once before its last reference goes.
        unsafe {
            self.component.terminate();
        }
    }
}
