//! The player's side of the monitor: the notes of one buffer, given their beats.
//!
//! A note's beat is known only once the engine has placed its buffer on the timeline, and
//! the notes that end a stop, a jump, a reset or a model switch are sent before that (at
//! sample 0, ahead of the engine's own). So what the host took is held until the buffer is
//! rendered, then queued behind a [`MonitorEvent::Break`] where the timeline broke: the
//! history closes the notes at the break, where they were last heard, and never draws a
//! note across a jump.

use super::channel::{MonitorEvent, MonitorSender, Voice};
use crate::realtime::{Continuity, EngineEvent, PlacedBuffer};

/// Notes one buffer's report holds: every pitch of every channel ending at once (a flush),
/// with room to spare for the engine's own onsets. More are dropped and counted.
pub(crate) const PLAYED_PER_BUFFER: usize = 4096;

pub(crate) struct Reporter {
    /// What the host took this buffer, in the order it was sent.
    played: Vec<EngineEvent>,
    /// Taken this buffer and not held for lack of room.
    missed: u64,
    /// Where the last reported buffer ended, while the window watches and the timeline
    /// runs on.
    reported_end: Option<f64>,
}

impl Default for Reporter {
    /// Holds nothing and never allocates: a placeholder while the player lends its reporter
    /// out (see [`Reporter::new`]).
    fn default() -> Self {
        Reporter {
            played: Vec::new(),
            missed: 0,
            reported_end: None,
        }
    }
}

impl Reporter {
    /// Allocates: make it off the audio thread.
    pub fn new() -> Reporter {
        Reporter {
            played: Vec::with_capacity(PLAYED_PER_BUFFER),
            ..Reporter::default()
        }
    }

    /// The host took `e`, one of DeepMIDI's own notes. No allocation: past the capacity
    /// reserved, it is counted as dropped.
    pub fn took(&mut self, e: EngineEvent) {
        if self.played.len() < self.played.capacity() {
            self.played.push(e);
        } else {
            self.missed += 1;
        }
    }

    /// No window watches: forget the buffer, and where the timeline was.
    pub fn idle(&mut self) {
        self.played.clear();
        self.missed = 0;
        self.reported_end = None;
    }

    /// Queues the buffer just rendered: a break where the timeline broke, its transport, and
    /// its notes, the musician's `input` among them. `placed` is where the engine put it
    /// (`None`: stopped, bypassed or silent, and its notes have no beat).
    pub fn report(
        &mut self,
        monitor: &mut MonitorSender,
        placed: Option<PlacedBuffer>,
        frames: u32,
        input: &[EngineEvent],
    ) {
        let start = placed.map(|p| p.beat_of(0));
        let broke_at = match (self.reported_end, start) {
            (Some(end), None) => Some(end),
            (Some(end), Some(start)) if Continuity::of(start, end) == Continuity::Jump => Some(end),
            // The window has just opened, or the transport started: what the window still
            // holds open was never ended, so it ends here.
            (None, Some(start)) => Some(start),
            _ => None,
        };
        if let Some(beat) = broke_at {
            monitor.push(MonitorEvent::Break { beat });
        }
        if let Some(p) = placed {
            monitor.push(MonitorEvent::Transport {
                beat: p.beat_of(0),
                bpm: p.bpm(),
                bar_start: p.bars.start,
                numerator: p.bars.meter.numerator(),
                denominator: p.bars.meter.denominator(),
            });
            let voiced = |voice| move |e: &EngineEvent| note(e, p.beat_of(e.sample()), voice);
            let played = self.played.iter().map(voiced(Voice::Played));
            for e in played.chain(input.iter().map(voiced(Voice::Heard))) {
                monitor.push(e);
            }
        }
        self.reported_end = placed.map(|p| p.beat_of(frames));
        monitor.count_dropped(self.missed);
        self.played.clear();
        self.missed = 0;
    }
}

/// A note event at `beat`: a note-off is a note of velocity 0.
fn note(e: &EngineEvent, beat: f64, voice: Voice) -> MonitorEvent {
    MonitorEvent::Note {
        beat,
        pitch: e.pitch(),
        velocity: e.velocity().unwrap_or(0),
        channel: e.channel(),
        voice,
    }
}
