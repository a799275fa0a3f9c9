//! The CLAP GUI extension on the test host: the plugin's editor embedded in a parent window,
//! the way a DAW opens it on Linux (the X11 API, not floating).
//!
//! The calls go in the order the CLAP headers give: `create`, `set_scale`, `get_size` (the
//! host makes its window that size), `set_parent`, `show`, and `destroy` at the end. They
//! are made on the thread that created the plugin, which nice-plug takes as the main thread.
//!
//! nice-plug's window runs its own X11 thread (baseview); what it has for the host (a
//! resize, the window closing) it asks for with `request_callback`, which the test host
//! answers in [`ClapHost::main_thread_callback`]: a host with the editor open calls that
//! between buffers too.

use crate::clap_host::ClapHost;
use clack_extensions::gui::{GuiApiType, GuiConfiguration, GuiSize, PluginGui, Window};
use std::sync::atomic::Ordering;

const EMBEDDED_X11: GuiConfiguration<'static> = GuiConfiguration {
    api_type: GuiApiType::X11,
    is_floating: false,
};

/// An editor created for an X11 parent window.
pub struct EditorGui {
    gui: PluginGui,
    size: GuiSize,
}

impl EditorGui {
    /// Creates the editor at scale 1 and asks its size; it is not shown until
    /// [`EditorGui::embed`].
    pub fn create(host: &mut ClapHost) -> EditorGui {
        let instance = host.instance();
        let gui: PluginGui = instance
            .plugin_shared_handle()
            .get_extension()
            .expect("the plugin has no GUI extension");
        let mut plugin = instance.plugin_handle();
        assert!(
            gui.is_api_supported(&plugin, EMBEDDED_X11),
            "the plugin does not support embedded X11 windows"
        );
        gui.create(&plugin, EMBEDDED_X11)
            .unwrap_or_else(|e| panic!("gui create: {e:?}"));
        plugin = instance.plugin_handle();
        // Hosts pass the scale on X11 (physical pixels); a plugin may refuse it.
        let _ = gui.set_scale(&plugin, 1.0);
        let size = gui
            .get_size(&plugin)
            .expect("the plugin reports no window size");
        EditorGui { gui, size }
    }

    /// The size the plugin asked for, in pixels (width, height).
    pub fn size(&self) -> (u32, u32) {
        (self.size.width, self.size.height)
    }

    /// Embeds the editor in the X11 window `parent` and shows it. The window must stay open
    /// until [`EditorGui::destroy`].
    pub fn embed(&self, host: &mut ClapHost, parent: u32) {
        let plugin = host.instance().plugin_handle();
        // SAFETY: the caller keeps `parent` open until `destroy`.
        unsafe {
            self.gui
                .set_parent(&plugin, Window::from_x11_handle(parent.into()))
        }
        .unwrap_or_else(|e| panic!("gui set_parent: {e:?}"));
        self.gui
            .show(&plugin)
            .unwrap_or_else(|e| panic!("gui show: {e:?}"));
    }

    /// Whether the plugin told the host its window is gone (it closed it itself, or lost
    /// the X server).
    pub fn closed_by_plugin(&self, host: &mut ClapHost) -> bool {
        host.instance()
            .access_shared_handler(|s| s.gui_closed.load(Ordering::Acquire))
    }

    /// Hides and destroys the editor.
    pub fn destroy(self, host: &mut ClapHost) {
        let plugin = host.instance().plugin_handle();
        let _ = self.gui.hide(&plugin);
        self.gui.destroy(&plugin);
    }
}
