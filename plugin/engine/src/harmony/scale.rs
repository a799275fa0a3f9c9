//! The scales of the key lock.

use std::fmt;
use std::str::FromStr;

/// A scale the lock can hold notes to. `Off` locks nothing; `Chromatic` allows every pitch
/// class but still counts as a lock (its note range applies), without a key to start in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scale {
    #[default]
    Off,
    Major,
    NaturalMinor,
    HarmonicMinor,
    MelodicMinor,
    Dorian,
    Phrygian,
    Lydian,
    Mixolydian,
    Locrian,
    MajorPentatonic,
    MinorPentatonic,
    Blues,
    Chromatic,
}

impl Scale {
    /// Every scale, in the order the plugin's Scale parameter lists them: its values are
    /// indices into this list, so new scales go at the end.
    pub const ALL: [Scale; 14] = [
        Scale::Off,
        Scale::Major,
        Scale::NaturalMinor,
        Scale::HarmonicMinor,
        Scale::MelodicMinor,
        Scale::Dorian,
        Scale::Phrygian,
        Scale::Lydian,
        Scale::Mixolydian,
        Scale::Locrian,
        Scale::MajorPentatonic,
        Scale::MinorPentatonic,
        Scale::Blues,
        Scale::Chromatic,
    ];

    /// Its place in [`Scale::ALL`].
    pub fn index(self) -> usize {
        Scale::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The scale at `index` in [`Scale::ALL`], the last one for an index past the end.
    pub fn at(index: usize) -> Scale {
        Scale::ALL[index.min(Scale::ALL.len() - 1)]
    }

    /// Lower case with hyphens: the command line's spelling, and what `FromStr` reads.
    pub fn name(self) -> &'static str {
        match self {
            Scale::Off => "off",
            Scale::Major => "major",
            Scale::NaturalMinor => "natural-minor",
            Scale::HarmonicMinor => "harmonic-minor",
            Scale::MelodicMinor => "melodic-minor",
            Scale::Dorian => "dorian",
            Scale::Phrygian => "phrygian",
            Scale::Lydian => "lydian",
            Scale::Mixolydian => "mixolydian",
            Scale::Locrian => "locrian",
            Scale::MajorPentatonic => "major-pentatonic",
            Scale::MinorPentatonic => "minor-pentatonic",
            Scale::Blues => "blues",
            Scale::Chromatic => "chromatic",
        }
    }

    /// As a musician reads it in a host's parameter list.
    pub fn label(self) -> &'static str {
        match self {
            Scale::Off => "Off",
            Scale::Major => "Major",
            Scale::NaturalMinor => "Natural Minor",
            Scale::HarmonicMinor => "Harmonic Minor",
            Scale::MelodicMinor => "Melodic Minor",
            Scale::Dorian => "Dorian",
            Scale::Phrygian => "Phrygian",
            Scale::Lydian => "Lydian",
            Scale::Mixolydian => "Mixolydian",
            Scale::Locrian => "Locrian",
            Scale::MajorPentatonic => "Major Pentatonic",
            Scale::MinorPentatonic => "Minor Pentatonic",
            Scale::Blues => "Blues",
            Scale::Chromatic => "Chromatic",
        }
    }

    /// Semitones above the root. Melodic minor is the ascending (jazz) form; blues is the
    /// minor pentatonic with the flat fifth.
    fn steps(self) -> &'static [u8] {
        match self {
            Scale::Off | Scale::Chromatic => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
            Scale::Major => &[0, 2, 4, 5, 7, 9, 11],
            Scale::NaturalMinor => &[0, 2, 3, 5, 7, 8, 10],
            Scale::HarmonicMinor => &[0, 2, 3, 5, 7, 8, 11],
            Scale::MelodicMinor => &[0, 2, 3, 5, 7, 9, 11],
            Scale::Dorian => &[0, 2, 3, 5, 7, 9, 10],
            Scale::Phrygian => &[0, 1, 3, 5, 7, 8, 10],
            Scale::Lydian => &[0, 2, 4, 6, 7, 9, 11],
            Scale::Mixolydian => &[0, 2, 4, 5, 7, 9, 10],
            Scale::Locrian => &[0, 1, 3, 5, 6, 8, 10],
            Scale::MajorPentatonic => &[0, 2, 4, 7, 9],
            Scale::MinorPentatonic => &[0, 3, 5, 7, 10],
            Scale::Blues => &[0, 3, 5, 6, 7, 10],
        }
    }

    /// The pitch classes above the root this scale allows, as bits 0–11.
    pub fn intervals(self) -> u16 {
        self.steps().iter().fold(0, |bits, &s| bits | 1 << s)
    }

    /// Whether the scale has a tonic to start a stream in and to measure key adherence
    /// against: every scale but `Off` and `Chromatic`.
    pub fn has_key(self) -> bool {
        !matches!(self, Scale::Off | Scale::Chromatic)
    }

    /// Whether its tonic triad is minor (a minor third above the root): the major or minor
    /// key a key finder should hear in music of this scale.
    pub fn is_minor(self) -> bool {
        self.intervals() & (1 << 4) == 0
    }

    /// The tonic triad as semitones above the root: root, its third, and its fifth (the
    /// diminished one where the scale has no perfect fifth, as in locrian).
    pub fn tonic_triad(self) -> [u8; 3] {
        let third = if self.is_minor() { 3 } else { 4 };
        let fifth = if self.intervals() & (1 << 7) != 0 {
            7
        } else {
            6
        };
        [0, third, fifth]
    }
}

impl fmt::Display for Scale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scale name that is not one of [`Scale::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scale {given:?}; the scales are: {}", Scale::ALL.map(Scale::name).join(", "))]
pub struct UnknownScale {
    pub given: String,
}

impl FromStr for Scale {
    type Err = UnknownScale;

    /// Reads the command-line name or the label, in any case, with spaces or hyphens.
    fn from_str(s: &str) -> Result<Scale, UnknownScale> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        Scale::ALL
            .into_iter()
            .find(|scale| scale.name() == wanted)
            .ok_or_else(|| UnknownScale {
                given: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_labels_too() {
        for scale in Scale::ALL {
            assert_eq!(Scale::at(scale.index()), scale);
            assert_eq!(scale.name().parse::<Scale>(), Ok(scale));
            assert_eq!(scale.label().parse::<Scale>(), Ok(scale));
        }
        let err = "hungarian".parse::<Scale>().unwrap_err().to_string();
        assert!(err.contains("hungarian") && err.contains("harmonic-minor, melodic-minor"));
    }

    #[test]
    fn scales_have_the_right_notes_and_triads() {
        let count = |s: Scale| s.intervals().count_ones();
        assert_eq!(count(Scale::Major), 7);
        assert_eq!(count(Scale::MajorPentatonic), 5);
        assert_eq!(count(Scale::Blues), 6);
        assert_eq!(count(Scale::Chromatic), 12);
        // Every scale holds its own tonic triad.
        for scale in Scale::ALL {
            for step in scale.tonic_triad() {
                assert!(scale.intervals() & 1 << step != 0, "{scale} lacks {step}");
            }
        }
        assert_eq!(Scale::Dorian.tonic_triad(), [0, 3, 7]);
        assert_eq!(Scale::Lydian.tonic_triad(), [0, 4, 7]);
        assert_eq!(Scale::Locrian.tonic_triad(), [0, 3, 6]);
        assert!(Scale::Blues.is_minor() && !Scale::Mixolydian.is_minor());
    }
}
