//! Listening: the musician's notes, gathered into onsets the networks can hear, and whose
//! turn it is to play.
//!
//! Incoming note-ons that start within [`CHORD_WINDOW_SECONDS`] of an onset's first note are
//! one chord: hands never strike a chord at one sample, and a sequencer's chord is at one.
//! Finished onsets wait in a fixed queue of [`HEARD_QUEUE`] until the engine feeds them
//! through the networks, as its work budget allows (`super::budget`), a chord in split mode
//! note by note. The networks hear every onset before an answer is drawn, whenever it was
//! fed, so what is played does not depend on the host's buffer sizes.

use super::engine::EngineEvent;
use super::tables::Chord;
use crate::tokens::MetricPosition;

/// Notes that start within this many seconds of an onset's first note join its chord.
pub const CHORD_WINDOW_SECONDS: f64 = 0.03;
/// Onsets heard and not yet fed through the networks. Full, the oldest is dropped (the
/// newest notes shape the answer most); only a flood of more than this many onsets within
/// one buffer can fill it, since every buffer feeds.
pub const HEARD_QUEUE: usize = 32;

/// The Answer Length choices: a number of bars, or until the musician plays again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerLength {
    /// 1 to [`AnswerLength::MAX_BARS`].
    Bars(u8),
    UntilIPlay,
}

impl AnswerLength {
    pub const MAX_BARS: u8 = 16;
    /// The choices as numbers, for a stepped control: 1–16 bars, then 17, until the
    /// musician plays.
    pub const UNTIL_I_PLAY_INDEX: u8 = Self::MAX_BARS + 1;

    pub fn from_index(index: u8) -> AnswerLength {
        match index {
            i if i > Self::MAX_BARS => AnswerLength::UntilIPlay,
            i => AnswerLength::Bars(i.max(1)),
        }
    }

    pub fn index(self) -> u8 {
        match self {
            AnswerLength::Bars(n) => n.clamp(1, Self::MAX_BARS),
            AnswerLength::UntilIPlay => Self::UNTIL_I_PLAY_INDEX,
        }
    }

    /// The answer's length in beats, for bars of `bar_quarters`; `None`: unbounded.
    pub fn beats(self, bar_quarters: f64) -> Option<f64> {
        match self {
            AnswerLength::Bars(n) => Some(f64::from(n.clamp(1, Self::MAX_BARS)) * bar_quarters),
            AnswerLength::UntilIPlay => None,
        }
    }
}

/// Call and response: with it, the engine is silent while the musician plays and answers
/// once they stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Listening {
    /// Beats of silence (no note held, none started) before the answer.
    pub answer_after: f64,
    pub answer_length: AnswerLength,
}

impl Listening {
    pub const MIN_AFTER: f64 = 0.5;
    pub const MAX_AFTER: f64 = 8.0;

    pub fn new(answer_after: f64, answer_length: AnswerLength) -> Listening {
        Listening {
            answer_after,
            answer_length,
        }
    }
}

impl Default for Listening {
    fn default() -> Self {
        Listening {
            answer_after: 2.0,
            answer_length: AnswerLength::Bars(4),
        }
    }
}

/// One bit per (channel, pitch): a set of notes, e.g. those sounding or held.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct NoteSet([u128; 16]);

impl NoteSet {
    pub fn insert(&mut self, channel: u8, pitch: u8) {
        self.0[usize::from(channel & 15)] |= 1u128 << (pitch & 127);
    }

    pub fn remove(&mut self, channel: u8, pitch: u8) {
        self.0[usize::from(channel & 15)] &= !(1u128 << (pitch & 127));
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|bits| *bits == 0)
    }

    pub fn len(&self) -> usize {
        self.0.iter().map(|bits| bits.count_ones() as usize).sum()
    }

    /// Calls `f(channel, pitch)` for every note and forgets them all.
    pub fn drain(&mut self, mut f: impl FnMut(u8, u8)) {
        for (channel, bits) in self.0.iter_mut().enumerate() {
            while *bits != 0 {
                let pitch = bits.trailing_zeros() as u8;
                *bits &= *bits - 1;
                f(channel as u8, pitch);
            }
        }
    }
}

/// An onset the musician played.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HeardOnset {
    pub chord: Chord,
    /// Where it started, in beats on the host's timeline, and in the bar.
    pub beat: f64,
    pub position: MetricPosition,
    /// Engine clock of its first note: the chord window runs from here.
    clock: i64,
}

/// Whose turn it is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Turn {
    /// The musician's: silent. `silent_since` is the beat the musician fell silent at,
    /// once they have played and then let go of every note.
    Listening { silent_since: Option<f64> },
    /// DeepMIDI's, until the beat `ends` (`None`: until the musician plays).
    Answering { ends: Option<f64> },
}

pub(crate) struct Listener {
    turn: Turn,
    /// The musician's notes held down.
    held: NoteSet,
    /// Whether the musician has played since the listener last waited: only then does
    /// letting go start the silence before an answer.
    played: bool,
    /// The onset whose chord window is open.
    open: Option<HeardOnset>,
    /// Finished onsets waiting to be fed, oldest at `head`.
    queue: [Option<HeardOnset>; HEARD_QUEUE],
    head: usize,
    len: usize,
    /// Parts of the oldest onset the networks have heard (a split chord is fed note by note).
    front_fed: usize,
}

impl Listener {
    pub fn new() -> Listener {
        Listener {
            turn: Turn::Listening { silent_since: None },
            held: NoteSet::default(),
            played: false,
            open: None,
            queue: [None; HEARD_QUEUE],
            head: 0,
            len: 0,
            front_fed: 0,
        }
    }

    pub fn turn(&self) -> Turn {
        self.turn
    }

    /// DeepMIDI's turn, until the beat `ends` (`None`: until the musician plays).
    pub fn answer(&mut self, ends: Option<f64>) {
        self.turn = Turn::Answering { ends };
    }

    /// Forgets what was heard and not yet fed, and waits; held notes stay held.
    pub fn forget(&mut self) {
        self.open = None;
        while self.pop().is_some() {}
        self.wait();
    }

    /// The timeline jumped to `position`: an answer in progress gives way (the musician's
    /// turn again), and a silence goes on from `position`.
    pub fn restart(&mut self, position: f64) {
        self.turn = match self.turn {
            Turn::Listening {
                silent_since: Some(_),
            } => Turn::Listening {
                silent_since: Some(position),
            },
            _ => Turn::Listening { silent_since: None },
        };
        if let Turn::Listening { silent_since: None } = self.turn {
            self.played = false;
        }
    }

    /// Follows which notes are held, without hearing them (Listen off, or stopped).
    pub fn follow_held(&mut self, e: &EngineEvent) {
        match *e {
            EngineEvent::NoteOn { pitch, channel, .. } => self.held.insert(channel, pitch),
            EngineEvent::NoteOff { pitch, channel, .. } => self.held.remove(channel, pitch),
        }
    }

    /// The musician's turn, as if nothing had been played yet; held notes stay held.
    pub fn wait(&mut self) {
        self.turn = Turn::Listening { silent_since: None };
        self.played = false;
    }

    /// A note-on at engine clock `clock` (beat `beat`, bar position `position`). A chord
    /// window opened less than `window` samples ago takes it; otherwise it starts an onset.
    pub fn note_on(
        &mut self,
        channel: u8,
        pitch: u8,
        clock: i64,
        beat: f64,
        position: MetricPosition,
        window: i64,
    ) {
        self.held.insert(channel, pitch);
        self.played = true;
        self.turn = Turn::Listening { silent_since: None };
        if let Some(open) = self.open.as_mut() {
            if clock - open.clock < window {
                open.chord.insert(pitch);
                return;
            }
        }
        self.close();
        let mut chord = Chord::default();
        chord.insert(pitch);
        self.open = Some(HeardOnset {
            chord,
            beat,
            position,
            clock,
        });
    }

    /// A note-off at `beat`: when it lets go of the last held note of a phrase, the
    /// silence starts.
    pub fn note_off(&mut self, channel: u8, pitch: u8, beat: f64) {
        self.held.remove(channel, pitch);
        if let Turn::Listening { silent_since } = &mut self.turn {
            if self.held.is_empty() && self.played {
                *silent_since = Some(beat);
            }
        }
    }

    /// Closes the open chord window if it ended before engine clock `clock`.
    pub fn close_before(&mut self, clock: i64, window: i64) {
        if self.open.is_some_and(|o| clock - o.clock >= window) {
            self.close();
        }
    }

    /// Queues the open onset; full, drops the oldest.
    pub fn close(&mut self) {
        let Some(onset) = self.open.take() else {
            return;
        };
        if self.len == HEARD_QUEUE {
            self.pop();
        }
        self.queue[(self.head + self.len) % HEARD_QUEUE] = Some(onset);
        self.len += 1;
    }

    /// The oldest onset waiting to be fed.
    pub fn front(&self) -> Option<&HeardOnset> {
        (self.len > 0)
            .then(|| self.queue[self.head].as_ref())
            .flatten()
    }

    /// Parts of the oldest onset already fed.
    pub fn front_fed(&self) -> usize {
        self.front_fed
    }

    /// One more part of the oldest onset was fed.
    pub fn fed_part(&mut self) {
        self.front_fed += 1;
    }

    /// Nothing heard waits to be fed, and no chord window is open.
    pub fn is_idle(&self) -> bool {
        self.open.is_none() && self.len == 0
    }

    pub fn pop(&mut self) -> Option<HeardOnset> {
        if self.len == 0 {
            return None;
        }
        self.front_fed = 0;
        let onset = self.queue[self.head].take();
        self.head = (self.head + 1) % HEARD_QUEUE;
        self.len -= 1;
        onset
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Meter;
    use crate::tokens::OffsetGrid;

    fn position() -> MetricPosition {
        OffsetGrid::default().position_in_bar(0.0, Meter::COMMON_TIME)
    }

    #[test]
    fn notes_within_the_window_are_one_chord() {
        let mut l = Listener::new();
        let window = 1440; // 30 ms at 48 kHz
        l.note_on(0, 60, 1000, 1.0, position(), window);
        l.note_on(0, 67, 1000 + 1439, 1.0, position(), window);
        l.note_on(0, 64, 1000 + 1440, 1.1, position(), window);
        l.close_before(1000 + 1440 + 1439, window);
        assert_eq!(l.front().unwrap().chord.as_slice(), &[60, 67]);
        assert!(
            l.pop().is_some() && l.pop().is_none(),
            "the second onset is still open"
        );
        l.close_before(1000 + 1440 + 1440, window);
        assert_eq!(l.pop().unwrap().chord.as_slice(), &[64]);
    }

    #[test]
    fn a_full_queue_drops_the_oldest() {
        let mut l = Listener::new();
        for k in 0..HEARD_QUEUE as i64 + 5 {
            l.note_on(0, (k % 100) as u8, k * 10_000, k as f64, position(), 100);
        }
        l.close();
        assert_eq!(l.front().unwrap().beat, 5.0);
        assert_eq!(std::iter::from_fn(|| l.pop()).count(), HEARD_QUEUE);
    }

    #[test]
    fn the_silence_starts_when_the_last_held_note_ends() {
        let mut l = Listener::new();
        l.note_off(0, 50, 0.5);
        assert_eq!(
            l.turn(),
            Turn::Listening { silent_since: None },
            "nothing played yet"
        );
        l.note_on(0, 60, 0, 1.0, position(), 100);
        l.note_on(3, 64, 50, 1.0, position(), 100);
        l.note_off(0, 60, 1.5);
        assert_eq!(
            l.turn(),
            Turn::Listening { silent_since: None },
            "a note is held"
        );
        l.note_off(3, 64, 2.0);
        assert_eq!(
            l.turn(),
            Turn::Listening {
                silent_since: Some(2.0)
            }
        );
        l.note_on(0, 62, 9_000, 3.0, position(), 100);
        assert_eq!(l.turn(), Turn::Listening { silent_since: None });
    }
}
