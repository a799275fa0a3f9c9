//! The editor window (egui through baseview, drawn with OpenGL). The window only reads the
//! parameters and sets them through the host's parameter system; what it shows of the audio
//! thread comes through `deepmidi_engine::monitor`'s lock-free queue.

mod controls;
mod handle;
mod keyboard;
mod models;
mod piano_roll;
#[cfg(test)]
mod tests;
mod view;

pub use handle::WindowHandle;
pub use view::{EditorView, Live};

use crate::params::WindowSize;
use crate::DeepMidiParams;
use deepmidi_engine::catalogue::ModelCard;
use deepmidi_engine::monitor::{MonitorReceiver, NoteHistory};
use nice_plug::context::gui::GuiContext;
use nice_plug::editor::dpi::{LogicalSize, NativeSize, Size};
use nice_plug::editor::{Editor, HostMethods, ParentWindowHandle, ResizeHint, SpawnedEditor};
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp, RepaintNotifier,
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// How often the open window redraws to follow the music.
const FRAME: Duration = Duration::from_millis(33);

/// The window's state on the GUI thread.
pub struct DeepMidiApp {
    params: Arc<DeepMidiParams>,
    /// The host's parameter system, once the window is built.
    context: Option<GuiContext>,
    /// What the audio thread sends while the window is open.
    monitor: MonitorReceiver,
    live: Live,
    view: EditorView,
}

impl DeepMidiApp {
    /// The window opened: the audio thread starts telling it what plays.
    fn opened(&mut self, context: GuiContext) {
        self.context = Some(context);
        self.monitor.set_open(true);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        let Some(context) = &self.context else {
            return;
        };
        let history = &mut self.live.history;
        self.monitor.drain(|e| history.add(e));
        let setter = context.param_setter();
        self.view.show(ui, &self.params, &setter, &self.live);
        ui.ctx().request_repaint_after(FRAME);
    }

    /// The new size is saved with the project.
    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        let logical = WindowSize {
            width: size.logical.width.round() as u32,
            height: size.logical.height.round() as u32,
        };
        if let Ok(mut saved) = self.params.editor_size.write() {
            *saved = logical.sane();
        }
    }
}

/// The editor. The window is built afresh each time it opens, at the size saved with the
/// project then (a project's state loads after the plugin is created, so the size cannot be
/// fixed at creation); what it shows lives on between openings in the shared app.
pub struct DeepMidiEditor {
    params: Arc<DeepMidiParams>,
    app: SharedApp,
}

/// The app as egui-baseview and the window's handle hold it: a handle on the one shared
/// between openings.
#[derive(Clone)]
pub struct SharedApp(Arc<Mutex<DeepMidiApp>>);

impl SharedApp {
    fn app(&self) -> MutexGuard<'_, DeepMidiApp> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The window closed: the audio thread queues nothing for it.
    fn closed(&self) {
        self.app().monitor.set_open(false);
    }
}

impl NiceEguiApp for SharedApp {
    fn build(
        &mut self,
        _egui: egui::Context,
        context: GuiContext,
        _frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        self.app().opened(context);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        self.app().ui(ui);
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        self.app().resized(size);
    }
}

/// Resizable down to [`WindowSize::MIN`].
fn resize_hint() -> ResizeHint {
    ResizeHint::resizable().with_min_logical_size(LogicalSize::new(
        WindowSize::MIN.width as f32,
        WindowSize::MIN.height as f32,
    ))
}

impl DeepMidiEditor {
    /// The size saved now, in logical pixels.
    fn saved_size(&self) -> LogicalSize<f64> {
        let size = self
            .params
            .editor_size
            .read()
            .map(|s| s.sane())
            .unwrap_or(WindowSize::DEFAULT);
        LogicalSize::new(f64::from(size.width), f64::from(size.height))
    }

    /// An egui editor at the size saved now.
    fn egui_editor(&self) -> Option<EguiEditor<SharedApp>> {
        let state = EguiEditorState::from_size(self.saved_size(), 1.0);
        let settings = EguiNiceSettings::new()
            .with_tile("DeepMIDI")
            .with_resize_hint(resize_hint());
        let app = self.app.clone();
        create_egui_editor(state, RepaintNotifier::new(), settings, app)
    }
}

impl Editor for DeepMidiEditor {
    type Handle = WindowHandle;

    fn spawn(
        &self,
        parent: Option<ParentWindowHandle>,
        wait_for_parent: bool,
        fallback_scale_factor: Option<f64>,
        gui_context: GuiContext,
        host: Option<HostMethods>,
    ) -> Result<SpawnedEditor<Self::Handle>, Box<dyn std::error::Error>> {
        let editor = self
            .egui_editor()
            .ok_or("the egui editor could not be made")?;
        let spawned = editor.spawn(
            parent,
            wait_for_parent,
            fallback_scale_factor,
            gui_context,
            host,
        )?;
        Ok(SpawnedEditor {
            handle: WindowHandle {
                inner: spawned.handle,
                app: self.app.clone(),
            },
            window: spawned.window,
        })
    }

    fn size(&self) -> NativeSize<u32> {
        match self.egui_editor() {
            Some(editor) => editor.size(),
            None => NativeSize::from_size(Size::Logical(self.saved_size()), 1.0),
        }
    }

    fn resize_hint(&self) -> ResizeHint {
        resize_hint()
    }

    unsafe fn assume_standalone_in_process(&self) {
        if let Some(editor) = self.egui_editor() {
            // SAFETY: passed on as the wrapper calls it.
            unsafe { editor.assume_standalone_in_process() }
        }
    }
}

/// The editor for `params`; `cards` are the model list's.
pub fn create(
    params: Arc<DeepMidiParams>,
    monitor: MonitorReceiver,
    cards: Vec<ModelCard>,
) -> DeepMidiEditor {
    let app = DeepMidiApp {
        params: params.clone(),
        context: None,
        monitor,
        live: Live {
            history: NoteHistory::new(),
            cards,
        },
        view: EditorView::default(),
    };
    DeepMidiEditor {
        params,
        app: SharedApp(Arc::new(Mutex::new(app))),
    }
}
