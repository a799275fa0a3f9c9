//! A simulated DAW transport: tempo, time signature, play/stop, locate and a loop, reporting
//! its position exactly or the way real hosts do (rounded to ticks or whole samples).
//!
//! Positions come from an anchor (beat, sample count since it) rather than being summed
//! buffer by buffer, so they carry no rounding drift however the buffers are cut. A loop jumps
//! back at the first buffer boundary at or past its end, as hosts that do not split buffers
//! at the loop point do; [`crate::host::Session`] can also split buffers there, as Ardour does.

/// How the host reports its song position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PositionStyle {
    /// Exact beats, and the exact sample position (VST3) or seconds (CLAP).
    Exact,
    /// Beats rounded to the nearest 1/`per_beat` (Ardour's VST3 position: 1920; sequencers'
    /// ticks: 960 or 480 PPQ). With `clock`, the sample position / seconds are exact, as
    /// Ardour's are; without, the host gives none (VST3 sample position 0, CLAP no seconds).
    Ticks { per_beat: f64, clock: bool },
    /// Every position rounded to a whole sample at the current tempo.
    WholeSamples,
}

impl PositionStyle {
    /// Ardour 7's VST3 positions: beats rounded to 1/1920, samples exact.
    pub const ARDOUR: PositionStyle = PositionStyle::Ticks {
        per_beat: 1920.0,
        clock: true,
    };
}

#[derive(Debug, Clone)]
pub struct SimTransport {
    pub sample_rate: f64,
    tempo: f64,
    pub playing: bool,
    /// Numerator, denominator.
    pub time_signature: (u16, u16),
    /// Where the time signature's bars start counting, in beats: a meter that changes at
    /// beat 2 has bars from there (2, 5, 8… in 6/8).
    pub bar_origin: f64,
    /// Loop range in beats, when looping.
    pub loop_beats: Option<(f64, f64)>,
    pub style: PositionStyle,
    anchor_beats: f64,
    /// The host's sample clock at the anchor.
    anchor_samples: i64,
    /// Samples played since the anchor.
    since_anchor: i64,
}

/// The transport as of one buffer's first sample, as the host reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportSnapshot {
    pub sample_rate: f64,
    pub playing: bool,
    pub tempo: f64,
    pub position_beats: f64,
    /// The song position in samples on the host's clock, when the host gives one.
    pub position_samples: Option<i64>,
    pub bar_start_beats: f64,
    pub bar_number: i32,
    pub time_signature: (u16, u16),
    pub loop_beats: Option<(f64, f64)>,
}

impl TransportSnapshot {
    /// The song position in seconds, when the host gives one.
    pub fn position_seconds(&self) -> Option<f64> {
        self.position_samples.map(|s| s as f64 / self.sample_rate)
    }
}

impl SimTransport {
    /// Playing from beat 0 in 4/4, reporting exact positions.
    pub fn new(sample_rate: f64, tempo: f64) -> SimTransport {
        SimTransport {
            sample_rate,
            tempo,
            playing: true,
            time_signature: (4, 4),
            bar_origin: 0.0,
            loop_beats: None,
            style: PositionStyle::Exact,
            anchor_beats: 0.0,
            anchor_samples: 0,
            since_anchor: 0,
        }
    }

    pub fn tempo(&self) -> f64 {
        self.tempo
    }

    pub fn samples_per_beat(&self) -> f64 {
        self.sample_rate * 60.0 / self.tempo
    }

    /// The true position, in beats.
    pub fn position_beats(&self) -> f64 {
        self.anchor_beats + self.since_anchor as f64 / self.samples_per_beat()
    }

    /// Samples from the current position to `beat` at the current tempo (negative when
    /// `beat` lies behind).
    pub fn samples_until(&self, beat: f64) -> f64 {
        (beat - self.position_beats()) * self.samples_per_beat()
    }

    /// Quarter notes per bar.
    pub fn bar_length(&self) -> f64 {
        let (num, den) = self.time_signature;
        f64::from(num) * 4.0 / f64::from(den)
    }

    pub fn snapshot(&self) -> TransportSnapshot {
        let position = self.position_beats();
        let samples = self.anchor_samples + self.since_anchor;
        let spb = self.samples_per_beat();
        let (reported, clock) = match self.style {
            PositionStyle::Exact => (position, Some(samples)),
            PositionStyle::Ticks { per_beat, clock } => (
                (position * per_beat).round() / per_beat,
                clock.then_some(samples),
            ),
            PositionStyle::WholeSamples => ((position * spb).round() / spb, Some(samples)),
        };
        let bar = ((position - self.bar_origin) / self.bar_length() + 1e-9).floor();
        TransportSnapshot {
            sample_rate: self.sample_rate,
            playing: self.playing,
            tempo: self.tempo,
            position_beats: reported,
            position_samples: clock,
            bar_start_beats: self.bar_origin + bar * self.bar_length(),
            bar_number: bar as i32,
            time_signature: self.time_signature,
            loop_beats: self.loop_beats,
        }
    }

    /// Samples from here to the loop end, when the loop is active and its end lies ahead.
    pub fn samples_to_loop_end(&self) -> Option<u32> {
        let (start, end) = self.loop_beats?;
        let position = self.position_beats();
        (self.playing && end > start && position < end)
            // Less a hair: a loop end on a sample is reached on that sample, float error aside.
            .then(|| (((end - position) * self.samples_per_beat() - 1e-6).ceil() as u32).max(1))
    }

    /// Moves past a buffer of `frames` samples (only while playing).
    pub fn advance(&mut self, frames: u32) {
        if !self.playing {
            return;
        }
        self.since_anchor += i64::from(frames);
        if let Some((start, end)) = self.loop_beats {
            let position = self.position_beats();
            if end > start && position >= end {
                self.locate(start + (position - end) % (end - start));
            }
        }
    }

    /// Jumps to a beat (negative for a count-in). The host's sample clock jumps with it, as
    /// if the current tempo held from the anchor.
    pub fn locate(&mut self, beats: f64) {
        let from =
            self.anchor_samples as f64 + (beats - self.anchor_beats) * self.samples_per_beat();
        self.anchor_samples = from.round() as i64;
        self.anchor_beats = beats;
        self.since_anchor = 0;
    }

    /// Changes tempo from the next buffer on, keeping the position.
    pub fn set_tempo(&mut self, tempo: f64) {
        self.anchor_beats = self.position_beats();
        self.anchor_samples += self.since_anchor;
        self.since_anchor = 0;
        self.tempo = tempo;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_follow_samples_and_loops_wrap() {
        let mut t = SimTransport::new(48_000.0, 120.0);
        t.advance(24_000);
        assert_eq!(t.position_beats(), 1.0);
        t.time_signature = (3, 4);
        t.locate(7.5);
        let s = t.snapshot();
        assert_eq!((s.bar_start_beats, s.bar_number), (6.0, 2));
        assert_eq!(s.position_samples, Some(180_000));
        t.loop_beats = Some((4.0, 8.0));
        assert_eq!(t.samples_to_loop_end(), Some(12_000));
        t.advance(24_000);
        assert_eq!(t.position_beats(), 4.5);
        t.set_tempo(60.0);
        t.advance(48_000);
        assert_eq!(t.position_beats(), 5.5);
    }

    #[test]
    fn host_styles_round_the_beats_only() {
        let mut t = SimTransport::new(48_000.0, 120.0);
        t.advance(1024);
        t.style = PositionStyle::ARDOUR;
        let s = t.snapshot();
        assert_eq!(s.position_beats, 82.0 / 1920.0);
        assert_eq!(s.position_seconds(), Some(1024.0 / 48_000.0));
        t.style = PositionStyle::Ticks {
            per_beat: 960.0,
            clock: false,
        };
        assert_eq!(t.snapshot().position_beats, 41.0 / 960.0);
        assert_eq!(t.snapshot().position_samples, None);
        t.locate(-4.0);
        assert_eq!(t.snapshot().position_beats, -4.0);
        assert_eq!(t.snapshot().bar_start_beats, -4.0);
    }
}
