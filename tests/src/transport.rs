//! A simulated DAW transport: tempo, time signature, play/stop, locate and a loop.
//!
//! Positions come from an anchor (beat, sample count since it) rather than being summed
//! buffer by buffer, so they carry no rounding drift however the buffers are cut. A loop jumps
//! back at the first buffer boundary at or past its end, as hosts that do not split buffers
//! at the loop point do.

#[derive(Debug, Clone)]
pub struct SimTransport {
    pub sample_rate: f64,
    tempo: f64,
    pub playing: bool,
    /// Numerator, denominator.
    pub time_signature: (u16, u16),
    /// Loop range in beats, when looping.
    pub loop_beats: Option<(f64, f64)>,
    anchor_beats: f64,
    /// Samples played since the anchor.
    since_anchor: i64,
}

/// The transport as of one buffer's first sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TransportSnapshot {
    pub sample_rate: f64,
    pub playing: bool,
    pub tempo: f64,
    pub position_beats: f64,
    pub position_seconds: f64,
    /// The song position in samples (at this tempo from beat 0).
    pub position_samples: i64,
    pub bar_start_beats: f64,
    pub bar_number: i32,
    pub time_signature: (u16, u16),
    pub loop_beats: Option<(f64, f64)>,
}

impl SimTransport {
    /// Playing from beat 0 in 4/4.
    pub fn new(sample_rate: f64, tempo: f64) -> SimTransport {
        SimTransport {
            sample_rate,
            tempo,
            playing: true,
            time_signature: (4, 4),
            loop_beats: None,
            anchor_beats: 0.0,
            since_anchor: 0,
        }
    }

    pub fn tempo(&self) -> f64 {
        self.tempo
    }

    pub fn samples_per_beat(&self) -> f64 {
        self.sample_rate * 60.0 / self.tempo
    }

    pub fn position_beats(&self) -> f64 {
        self.anchor_beats + self.since_anchor as f64 / self.samples_per_beat()
    }

    /// Quarter notes per bar.
    pub fn bar_length(&self) -> f64 {
        let (num, den) = self.time_signature;
        f64::from(num) * 4.0 / f64::from(den)
    }

    pub fn snapshot(&self) -> TransportSnapshot {
        let position = self.position_beats();
        let bar = (position / self.bar_length() + 1e-9).floor();
        TransportSnapshot {
            sample_rate: self.sample_rate,
            playing: self.playing,
            tempo: self.tempo,
            position_beats: position,
            position_seconds: position * 60.0 / self.tempo,
            position_samples: (position * self.samples_per_beat()).round() as i64,
            bar_start_beats: bar * self.bar_length(),
            bar_number: bar as i32,
            time_signature: self.time_signature,
            loop_beats: self.loop_beats,
        }
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

    /// Jumps to a beat.
    pub fn locate(&mut self, beats: f64) {
        self.anchor_beats = beats;
        self.since_anchor = 0;
    }

    /// Changes tempo from the next buffer on, keeping the position.
    pub fn set_tempo(&mut self, tempo: f64) {
        self.anchor_beats = self.position_beats();
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
        t.loop_beats = Some((4.0, 8.0));
        t.advance(24_000);
        assert_eq!(t.position_beats(), 4.5);
        t.set_tempo(60.0);
        t.advance(48_000);
        assert_eq!(t.position_beats(), 5.5);
    }
}
