//! Where the host's transport is, and how beats map to samples.
//!
//! Beats map to samples through an anchor: a (sample, beat, tempo) triple set when playback
//! starts, jumps or changes tempo. While the host moves steadily, its reported positions
//! agree with the anchor and it is kept, so event times are computed from one absolute
//! reference and do not depend on how the host cuts its buffers.
//!
//! Real hosts do not report exact positions. Ardour rounds the VST3 position in beats to
//! 1/1920 beat (12.5 samples at 120 BPM and 48 kHz), others to 960 or 480 PPQ ticks or to
//! whole samples, and some jitter. So a disagreement between the host and the anchor is
//! judged by its size ([`Continuity`]): rounding is ignored, drift is followed without a
//! break, and only a real jump (locate, loop) restarts the stream.

use crate::corpus::Meter;

/// The host's transport as the engine needs it. `tempo_bpm` or `position_beats` missing means
/// the host gives no usable transport: the engine then free-runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Transport {
    pub playing: bool,
    pub tempo_bpm: Option<f64>,
    /// Position at the buffer's first sample, in quarter notes (possibly rounded by the host).
    pub position_beats: Option<f64>,
    /// Position at the buffer's first sample on the host's clock, in seconds (CLAP's song
    /// position in seconds, VST3's sample position over the rate). Hosts that round beats
    /// usually count samples exactly, so this makes a rounded position exact again (see
    /// [`Transport::exact_position`]).
    pub position_seconds: Option<f64>,
    /// Start of the current bar, in quarter notes.
    pub bar_start_beats: Option<f64>,
    /// The time signature in force.
    pub meter: Option<Meter>,
    /// The active loop (cycle) range in quarter notes, start then end; `None` when not
    /// looping.
    pub loop_beats: Option<(f64, f64)>,
}

/// Tempo when the host gives none.
pub const FREE_RUN_BPM: f64 = 120.0;

/// Host positions within this many beats of the engine's own count are the same place.
/// Larger than any host's rounding we know of (1/480 beat for 480 PPQ ticks), small enough
/// (4 ms at 120 BPM) that leaving such an error uncorrected is inaudible.
pub const ROUNDING_BEATS: f64 = 1.0 / 128.0;
/// A disagreement larger than this (a 64th note) is a jump: a locate or a loop. Between
/// [`ROUNDING_BEATS`] and this it is drift (a tempo ramp the host integrates differently):
/// followed without a break.
pub const JUMP_BEATS: f64 = 1.0 / 16.0;
/// A position from the host's clock in seconds replaces its beats when the two agree this
/// closely: the beats were rounded, and the tempo has been constant since the song's start.
const SECONDS_AGREE_BEATS: f64 = 1.0 / 400.0;

/// How the host's position relates to where the engine expected it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continuity {
    /// The same place, give or take the host's rounding and jitter.
    Steady,
    /// Slightly elsewhere: follow the host without ending notes.
    Drift,
    /// Somewhere else: a locate or a loop.
    Jump,
}

impl Continuity {
    pub fn of(host_beats: f64, predicted_beats: f64) -> Continuity {
        let distance = (host_beats - predicted_beats).abs();
        if distance > JUMP_BEATS {
            Continuity::Jump
        } else if distance > ROUNDING_BEATS {
            Continuity::Drift
        } else {
            Continuity::Steady
        }
    }
}

impl Transport {
    /// The meter of a host's time signature; `None` for one that is missing or makes no
    /// sense (a denominator not a power of two, a numerator out of range).
    pub fn meter_of(numerator: Option<i32>, denominator: Option<i32>) -> Option<Meter> {
        let n = u8::try_from(numerator?).ok()?;
        let d = u8::try_from(denominator?).ok()?;
        Meter::new(n, d)
    }

    /// The bar's length in quarter notes, 4 when the host gives no meter.
    pub fn bar_quarters(&self) -> f64 {
        self.meter.unwrap_or(Meter::COMMON_TIME).bar_quarters()
    }

    /// The host's position in beats, from its clock in seconds where that agrees with its
    /// beats within rounding (exact where the beats were rounded), else its beats.
    pub fn exact_position(&self, bpm: f64) -> Option<f64> {
        let beats = self.position_beats.filter(|b| b.is_finite())?;
        let from_seconds = self
            .position_seconds
            .map(|s| s * bpm / 60.0)
            .filter(|b| b.is_finite() && (b - beats).abs() <= SECONDS_AGREE_BEATS);
        Some(from_seconds.unwrap_or(beats))
    }

    /// The loop range, when a usable one is active.
    pub fn active_loop(&self) -> Option<(f64, f64)> {
        self.loop_beats
            .filter(|(start, end)| start.is_finite() && end.is_finite() && end - start > JUMP_BEATS)
    }
}

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

    /// Half a sample, in beats: a beat rounded to the sample grid is still on it.
    pub fn half_sample(&self) -> f64 {
        0.5 / self.samples_per_beat
    }

    /// The engine clock time of a beat, rounded to the nearest sample.
    pub fn sample_of(&self, beat: f64) -> i64 {
        self.sample + ((beat - self.beat) * self.samples_per_beat).round() as i64
    }
}

/// The first beat (or bar line) at or after `position`. Positions within `hair` beats after
/// a boundary count as on it: a host starting on a beat, or looping back to one whose sample
/// position is rounded, plays it at once. A negative position (pre-roll, count-in) starts
/// the stream at beat 0, not before.
pub(crate) fn next_boundary(
    position: f64,
    transport: &Transport,
    sync_to_bar: bool,
    hair: f64,
) -> f64 {
    let position = position.max(0.0);
    if sync_to_bar {
        let len = transport.bar_quarters();
        let start = transport
            .bar_start_beats
            .filter(|b| b.is_finite() && *b <= position + hair)
            .unwrap_or(0.0);
        start + ((position - start - hair) / len).ceil().max(0.0) * len
    } else {
        (position - hair).ceil()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries() {
        let t = Transport {
            bar_start_beats: Some(8.0),
            meter: Meter::new(6, 8),
            ..Default::default()
        };
        let hair = 1e-5;
        assert_eq!(next_boundary(0.0, &t, false, hair), 0.0);
        assert_eq!(next_boundary(2.25, &t, false, hair), 3.0);
        assert_eq!(next_boundary(3.000_006, &t, false, hair), 3.0);
        assert_eq!(next_boundary(3.000_02, &t, false, hair), 4.0);
        assert_eq!(next_boundary(-3.5, &t, false, hair), 0.0);
        assert_eq!(next_boundary(9.5, &t, true, hair), 11.0);
        assert_eq!(next_boundary(8.0, &t, true, hair), 8.0);
        assert_eq!(next_boundary(5.0, &Transport::default(), true, hair), 8.0);
    }

    #[test]
    fn anchor_round_trips() {
        let a = Anchor::new(1000, 2.0, 120.0, 48_000.0, false);
        assert_eq!(a.sample_of(2.0), 1000);
        assert_eq!(a.sample_of(3.0), 1000 + 24_000);
        assert!((a.beat_at(1000 + 12_000) - 2.5).abs() < 1e-12);
    }
}
