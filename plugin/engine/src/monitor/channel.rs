//! The queue from the audio thread to the window: what was played and heard, in beats.
//!
//! The audio thread must never wait for the window, so the queue is a lock-free ring of fixed
//! size ([`rtrb`]): when the window falls behind, new events are dropped and counted, never
//! waited for. And it must not pay for a window nobody looks at: the window says when it is
//! open, and while it is closed the sender queues nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Events the queue holds: at a buffer a few ms long, a monitor fed ~100 events a second
/// (a transport event a buffer and the notes) holds several seconds of them, far more than
/// a window drawing at 30 frames a second lets pile up.
pub const MONITOR_CAPACITY: usize = 4096;

/// Whose note it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Voice {
    /// DeepMIDI's own notes.
    Played,
    /// The musician's notes, from the plugin's MIDI input (what Listen hears).
    Heard,
}

/// One thing the window learns, placed in quarter-note beats on the host's timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MonitorEvent {
    /// Once per buffer while the transport plays: where the buffer starts, for the playhead
    /// and bar lines (`bar_start` is the start of a bar, in beats, in the meter
    /// `numerator`/`denominator`).
    Transport {
        beat: f64,
        bpm: f64,
        bar_start: f64,
        numerator: u8,
        denominator: u8,
    },
    /// A note starts (`velocity` 1–127) or ends (`velocity` 0).
    Note {
        beat: f64,
        pitch: u8,
        velocity: u8,
        channel: u8,
        voice: Voice,
    },
    /// The timeline jumped or stopped: notes still open end here (the history closes them).
    Break { beat: f64 },
}

/// The audio thread's end of the queue.
pub struct MonitorSender {
    queue: rtrb::Producer<MonitorEvent>,
    open: Arc<AtomicBool>,
    dropped: u64,
}

/// The window's end of the queue.
pub struct MonitorReceiver {
    queue: rtrb::Consumer<MonitorEvent>,
    open: Arc<AtomicBool>,
}

/// A queue of `capacity` events (at least one), closed until the receiver opens it.
/// Allocates once, here: make it off the audio thread.
pub fn monitor_channel(capacity: usize) -> (MonitorSender, MonitorReceiver) {
    let (producer, consumer) = rtrb::RingBuffer::new(capacity.max(1));
    let open = Arc::new(AtomicBool::new(false));
    (
        MonitorSender {
            queue: producer,
            open: open.clone(),
            dropped: 0,
        },
        MonitorReceiver {
            queue: consumer,
            open,
        },
    )
}

impl MonitorSender {
    /// Whether a window is open: while it is not, push nothing (it would only fill the queue
    /// with events nobody draws).
    pub fn is_listening(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Queues an event; never blocks or allocates. A full queue drops it, counts it and
    /// returns false.
    pub fn push(&mut self, e: MonitorEvent) -> bool {
        let queued = self.queue.push(e).is_ok();
        if !queued {
            self.dropped += 1;
        }
        queued
    }

    /// Counts events lost on the way (`missed` of them) before they reached the queue, so
    /// [`MonitorSender::dropped`] tells of every event the window never saw.
    pub(crate) fn count_dropped(&mut self, missed: u64) {
        self.dropped += missed;
    }

    /// Events dropped since the queue was made.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

impl MonitorReceiver {
    /// The window opens (true) or closes (false): the sender queues events only while open.
    pub fn set_open(&self, open: bool) {
        self.open.store(open, Ordering::Relaxed);
    }

    /// Hands over everything queued now, oldest first.
    pub fn drain(&mut self, mut f: impl FnMut(MonitorEvent)) {
        while let Ok(e) = self.queue.pop() {
            f(e);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn break_at(beat: f64) -> MonitorEvent {
        MonitorEvent::Break { beat }
    }

    fn drained(receiver: &mut MonitorReceiver) -> Vec<MonitorEvent> {
        let mut seen = Vec::new();
        receiver.drain(|e| seen.push(e));
        seen
    }

    #[test]
    fn the_sender_listens_only_while_the_window_is_open() {
        let (sender, receiver) = monitor_channel(8);
        assert!(!sender.is_listening());
        receiver.set_open(true);
        assert!(sender.is_listening());
        receiver.set_open(false);
        assert!(!sender.is_listening());
    }

    #[test]
    fn a_full_queue_drops_and_counts_and_frees_up_when_drained() {
        let (mut sender, mut receiver) = monitor_channel(3);
        let pushed: Vec<bool> = (0..5)
            .map(|i| sender.push(break_at(f64::from(i))))
            .collect();
        assert_eq!(pushed, [true, true, true, false, false]);
        assert_eq!(sender.dropped(), 2);
        // The oldest are kept, in order.
        assert_eq!(
            drained(&mut receiver),
            [break_at(0.0), break_at(1.0), break_at(2.0)]
        );
        assert!(sender.push(break_at(9.0)));
        assert_eq!(drained(&mut receiver), [break_at(9.0)]);
        assert_eq!(sender.dropped(), 2);
    }

    /// The two ends live on two threads: the audio thread's and the window's.
    #[test]
    fn the_ends_cross_threads() {
        let (mut sender, mut receiver) = monitor_channel(MONITOR_CAPACITY);
        receiver.set_open(true);
        let audio = std::thread::spawn(move || {
            for i in 0..1000 {
                while !sender.push(break_at(f64::from(i))) {
                    std::thread::yield_now();
                }
            }
        });
        let mut seen = Vec::new();
        while seen.len() < 1000 {
            receiver.drain(|e| seen.push(e));
        }
        audio.join().unwrap();
        assert!(seen
            .iter()
            .enumerate()
            .all(|(i, e)| *e == break_at(i as f64)));
    }
}
