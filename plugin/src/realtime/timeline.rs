//! Where the host's transport is, and how beats map to samples.
//!
//! Beats map to samples through an anchor: a (sample, beat, tempo) triple set when playback
//! starts, jumps or changes tempo. While the host moves steadily, its reported positions
//! agree with the anchor and it is kept, so event times are computed from one absolute
//! reference and do not depend on how the host cuts its buffers.

/// The host's transport as the engine needs it. `tempo_bpm` or `position_beats` missing means
/// the host gives no usable transport: the engine then free-runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Transport {
    pub playing: bool,
    pub tempo_bpm: Option<f64>,
    /// Position at the buffer's first sample, in quarter notes.
    pub position_beats: Option<f64>,
    /// Start of the current bar, in quarter notes.
    pub bar_start_beats: Option<f64>,
    /// Bar length in quarter notes (4 for 4/4, 3 for 6/8).
    pub beats_per_bar: Option<f64>,
}

/// Tempo when the host gives none.
pub const FREE_RUN_BPM: f64 = 120.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Anchor {
    /// Engine clock (samples since construction) at `beat`.
    pub sample: i64,
    pub beat: f64,
    pub bpm: f64,
    pub samples_per_beat: f64,
    pub free_run: bool,
}

impl Anchor {
    pub fn new(sample: i64, beat: f64, bpm: f64, sample_rate: f64, free_run: bool) -> Anchor {
        Anchor {
            sample,
            beat,
            bpm,
            samples_per_beat: sample_rate * 60.0 / bpm,
            free_run,
        }
    }

    /// The beat at an engine clock time.
    pub fn beat_at(&self, clock: i64) -> f64 {
        self.beat + (clock - self.sample) as f64 / self.samples_per_beat
    }

    /// The engine clock time of a beat, rounded to the nearest sample.
    pub fn sample_of(&self, beat: f64) -> i64 {
        self.sample + ((beat - self.beat) * self.samples_per_beat).round() as i64
    }
}

/// The first beat (or bar line) at or after `position`. Positions within a hair of a
/// boundary count as on it, so a host starting exactly on beat 0 plays at once.
pub(crate) fn next_boundary(position: f64, transport: &Transport, sync_to_bar: bool) -> f64 {
    const HAIR: f64 = 1e-7;
    if sync_to_bar {
        let len = transport
            .beats_per_bar
            .filter(|b| *b > 0.0 && b.is_finite())
            .unwrap_or(4.0);
        let start = transport
            .bar_start_beats
            .filter(|b| b.is_finite() && *b <= position + HAIR)
            .unwrap_or(0.0);
        start + ((position - start - HAIR) / len).ceil().max(0.0) * len
    } else {
        (position - HAIR).ceil()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let t = Transport {
            bar_start_beats: Some(8.0),
            beats_per_bar: Some(3.0),
            ..Default::default()
        };
        assert_eq!(next_boundary(0.0, &t, false), 0.0);
        assert_eq!(next_boundary(2.25, &t, false), 3.0);
        assert_eq!(next_boundary(9.5, &t, true), 11.0);
        assert_eq!(next_boundary(8.0, &t, true), 8.0);
        assert_eq!(next_boundary(5.0, &Transport::default(), true), 8.0);
    }

    #[test]
    fn anchor_round_trips() {
        let a = Anchor::new(1000, 2.0, 120.0, 48_000.0, false);
        assert_eq!(a.sample_of(2.0), 1000);
        assert_eq!(a.sample_of(3.0), 1000 + 24_000);
        assert!((a.beat_at(1000 + 12_000) - 2.5).abs() < 1e-12);
    }
}
