//! An X server for the editor window test: a private Xvfb, the parent window a DAW creates to
//! embed a plugin's editor in, and screenshots of what is drawn in it.
//!
//! The plugin draws with OpenGL: in Xvfb that is Mesa's software renderer (llvmpipe), which
//! the test asks for with `LIBGL_ALWAYS_SOFTWARE=1`.

use crate::bundles::target_dir;
use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    ConnectionExt, CreateWindowAux, EventMask, ImageFormat, ImageOrder, Visualtype,
    Window as XWindow, WindowClass,
};
use x11rb::protocol::Event;
use x11rb::rust_connection::RustConnection;
use x11rb::COPY_DEPTH_FROM_PARENT;

/// An Xvfb server of this process's own, on a display it picks itself, gone when this is
/// dropped (also when the test fails).
///
/// It runs with `-terminate`: it exits when its last client disconnects. The guard holds a
/// connection from the start, so that is when the guard is dropped and the windows of the
/// test have closed their connections. Killing the server while a client is still connected
/// would not do: the plugin's window closes its X connections in its own threads a little
/// after `destroy`, and Xlib ends the whole process when it finds the server gone.
pub struct Xvfb {
    child: Child,
    /// `:N`, for `DISPLAY`.
    pub display: String,
    /// Keeps the server up until the guard is dropped.
    connection: Option<RustConnection>,
}

impl Xvfb {
    /// Starts Xvfb (1920×1080, 24-bit, no TCP) and waits until it accepts connections.
    ///
    /// With `-displayfd` the server takes the first free display and writes its number when
    /// it is ready, so tests running at once (and other X servers) never share one.
    pub fn start() -> Xvfb {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let logs = target_dir().join("host-tests");
        std::fs::create_dir_all(&logs).unwrap();
        let log = logs.join(format!(
            "xvfb-{}.log",
            STARTED.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1920x1080x24"])
            .args(["-nolisten", "tcp", "-terminate"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting Xvfb: {e} (install it: apt-get install xvfb)"));
        let mut number = String::new();
        let stdout = child.stdout.take().expect("Xvfb's standard output");
        let _ = BufReader::new(stdout).read_line(&mut number);
        let mut server = Xvfb {
            child,
            display: format!(":{}", number.trim()),
            connection: None,
        };
        let failed = |why: String| -> ! {
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("Xvfb: {why}; its log ({}):\n{log_text}", log.display());
        };
        if number.trim().parse::<u32>().is_err() {
            failed(format!("it gave no display number ({number:?})"));
        }
        match x11rb::connect(Some(&server.display)) {
            Ok((connection, _)) => server.connection = Some(connection),
            Err(e) => failed(format!("connecting to {}: {e}", server.display)),
        }
        server
    }

    /// Whether the server has exited, or does within `time`.
    fn exits_within(&mut self, time: Duration) -> bool {
        let deadline = Instant::now() + time;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Xvfb {
    /// Lets the server exit when its last client is gone (within 10 s); then SIGTERM, so it
    /// still removes its lock file and socket (after a SIGKILL they would stay), and SIGKILL
    /// if it is still there 5 s later.
    fn drop(&mut self) {
        self.connection = None;
        if self.exits_within(Duration::from_secs(10)) {
            return;
        }
        eprintln!(
            "Xvfb {} still has clients 10 s after the test closed its windows: stopping it",
            self.display
        );
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: signals our own child, which has not been waited for yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
            if self.exits_within(Duration::from_secs(5)) {
                return;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A top-level window of a given size, mapped, as a host makes one for a plugin's editor.
pub struct ParentWindow {
    conn: RustConnection,
    pub id: XWindow,
}

impl ParentWindow {
    /// Creates a `width`×`height` window filled with `background` (RGB) on `display`, maps it
    /// and waits until it is mapped.
    pub fn create(display: &str, width: u32, height: u32, background: [u8; 3]) -> ParentWindow {
        let (conn, screen) = x11rb::connect(Some(display))
            .unwrap_or_else(|e| panic!("connecting to {display}: {e}"));
        let screen = &conn.setup().roots[screen];
        let (root, visual) = (screen.root, screen.root_visual);
        let masks = find_visual(&conn, visual).expect("the root visual");
        let place = |value: u8, mask: u32| (u32::from(value) << mask.trailing_zeros()) & mask;
        let pixel = place(background[0], masks.red_mask)
            | place(background[1], masks.green_mask)
            | place(background[2], masks.blue_mask);
        let id = conn.generate_id().unwrap();
        let size = |n: u32| u16::try_from(n).expect("a window under 65536 pixels");
        conn.create_window(
            COPY_DEPTH_FROM_PARENT,
            id,
            root,
            0,
            0,
            size(width),
            size(height),
            0,
            WindowClass::INPUT_OUTPUT,
            visual,
            &CreateWindowAux::new()
                .background_pixel(pixel)
                .event_mask(EventMask::STRUCTURE_NOTIFY),
        )
        .unwrap();
        conn.map_window(id).unwrap();
        conn.flush().unwrap();
        loop {
            match conn.wait_for_event().expect("the X connection") {
                Event::MapNotify(e) if e.window == id => break,
                _ => {}
            }
        }
        ParentWindow { conn, id }
    }

    /// The windows embedded in this one (the plugin's editor, once it is parented).
    pub fn children(&self) -> Vec<XWindow> {
        self.conn
            .query_tree(self.id)
            .ok()
            .and_then(|c| c.reply().ok())
            .map(|tree| tree.children)
            .unwrap_or_default()
    }

    /// A window's size (width, height), if it exists.
    pub fn size_of(&self, window: XWindow) -> Option<(u32, u32)> {
        let geometry = self.conn.get_geometry(window).ok()?.reply().ok()?;
        Some((u32::from(geometry.width), u32::from(geometry.height)))
    }

    /// What `window` shows now (its own pixels and those of the windows in it of the same
    /// depth, as X11's GetImage gives them), or `None` while it is not viewable.
    pub fn screenshot(&self, window: XWindow) -> Option<Image> {
        let (width, height) = self.size_of(window)?;
        let reply = self
            .conn
            .get_image(
                ImageFormat::Z_PIXMAP,
                window,
                0,
                0,
                width as u16,
                height as u16,
                !0,
            )
            .ok()?
            .reply()
            .ok()?;
        let setup = self.conn.setup();
        let format = setup
            .pixmap_formats
            .iter()
            .find(|f| f.depth == reply.depth)
            .expect("a pixmap format for the window's depth");
        assert_eq!(
            format.bits_per_pixel, 32,
            "screenshots read 32-bit pixels (depth {})",
            reply.depth
        );
        let visual = find_visual(&self.conn, reply.visual).expect("the window's visual");
        let stride = (width as usize * 32).div_ceil(usize::from(format.scanline_pad))
            * usize::from(format.scanline_pad)
            / 8;
        let big_endian = setup.image_byte_order == ImageOrder::MSB_FIRST;
        let masks = [visual.red_mask, visual.green_mask, visual.blue_mask];
        assert!(
            masks.iter().all(|m| m.count_ones() == 8),
            "screenshots read 8 bits a colour channel"
        );
        let channel = |pixel: u32, mask: u32| ((pixel & mask) >> mask.trailing_zeros()) as u8;
        let mut rgb = Vec::with_capacity(width as usize * height as usize * 3);
        for row in reply.data.chunks(stride).take(height as usize) {
            for bytes in row[..width as usize * 4].chunks_exact(4) {
                let bytes = [bytes[0], bytes[1], bytes[2], bytes[3]];
                let pixel = if big_endian {
                    u32::from_be_bytes(bytes)
                } else {
                    u32::from_le_bytes(bytes)
                };
                rgb.extend(masks.map(|mask| channel(pixel, mask)));
            }
        }
        Some(Image { width, height, rgb })
    }
}

impl Drop for ParentWindow {
    fn drop(&mut self) {
        let _ = self.conn.destroy_window(self.id);
        let _ = self.conn.flush();
    }
}

fn find_visual(conn: &RustConnection, id: u32) -> Option<Visualtype> {
    conn.setup()
        .roots
        .iter()
        .flat_map(|s| &s.allowed_depths)
        .flat_map(|d| &d.visuals)
        .find(|v| v.visual_id == id)
        .copied()
}

/// An RGB picture, 8 bits a channel, rows top to bottom.
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgb: Vec<u8>,
}

impl Image {
    pub fn pixels(&self) -> impl Iterator<Item = [u8; 3]> + '_ {
        self.rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]])
    }

    pub fn distinct_colors(&self) -> usize {
        self.pixels().collect::<HashSet<_>>().len()
    }

    /// Whether it has `n` colours or more (stops counting there: quick on a drawn window).
    pub fn has_colors(&self, n: usize) -> bool {
        let mut seen = HashSet::new();
        self.pixels().any(|p| {
            seen.insert(p);
            seen.len() >= n
        })
    }

    /// Pixels within `tolerance` of `color` on every channel.
    pub fn count_near(&self, color: [u8; 3], tolerance: u8) -> usize {
        self.pixels()
            .filter(|p| (0..3).all(|c| p[c].abs_diff(color[c]) <= tolerance))
            .count()
    }

    /// The share (0–1) of pixels of the most common colour.
    pub fn commonest_share(&self) -> f64 {
        let mut counts = std::collections::HashMap::new();
        for p in self.pixels() {
            *counts.entry(p).or_insert(0usize) += 1;
        }
        let most = counts.values().copied().max().unwrap_or(0);
        most as f64 / (self.width as f64 * self.height as f64).max(1.0)
    }

    pub fn save_png(&self, path: &Path) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let file = File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut encoder = png::Encoder::new(BufWriter::new(file), self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(&self.rgb).unwrap();
    }
}

/// `target/editor-screenshots/<name>`.
pub fn screenshot_path(name: &str) -> PathBuf {
    target_dir().join("editor-screenshots").join(name)
}
