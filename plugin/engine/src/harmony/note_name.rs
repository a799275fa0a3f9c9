//! Note names: MIDI numbers shown as `C4` (middle C = 60, so MIDI 0 is `C-1`) and read back
//! from names with sharps or flats, or from plain numbers.

use std::fmt;

const NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// A pitch class, C = 0 … B = 11: a key's root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct PitchClass(u8);

impl PitchClass {
    pub const C: PitchClass = PitchClass(0);

    /// The pitch class of any number, counted from C (so 14 is D).
    pub fn of(pitch: u8) -> PitchClass {
        PitchClass(pitch % 12)
    }

    pub fn index(self) -> u8 {
        self.0
    }

    /// Every pitch class from C.
    pub fn all() -> impl Iterator<Item = PitchClass> {
        (0..12).map(PitchClass)
    }

    /// Its name with a sharp where it needs one: `C#`.
    pub fn name(self) -> &'static str {
        NAMES[usize::from(self.0)]
    }
}

impl fmt::Display for PitchClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A MIDI note number shown by name: `NoteName(61)` displays `C#4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteName(pub u8);

impl fmt::Display for NoteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let octave = i32::from(self.0 / 12) - 1;
        write!(f, "{}{octave}", PitchClass::of(self.0))
    }
}

/// A note that is neither a name like `C#4`/`Bb2` nor a number 0–127.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{given:?} is not a note: write a name with its octave, C4 = 60 (C#4, Bb2, C-1 to G9), \
     or a MIDI number 0-127"
)]
pub struct BadNote {
    pub given: String,
}

/// A pitch class letter with its accidentals, and the rest of the text.
fn parse_pitch_class(s: &str) -> Option<(i32, &str)> {
    let mut chars = s.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let mut class = match letter {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        'B' => 11,
        _ => return None,
    };
    let mut rest = chars.as_str();
    loop {
        if let Some(r) = rest.strip_prefix(['#', '♯']) {
            class += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix(['b', '♭']) {
            class -= 1;
            rest = r;
        } else {
            return Some((class, rest));
        }
    }
}

/// Reads `C4`, `c#4`, `Bb2`, `C-1`, `G9` or `60`. A name with accidentals may cross an
/// octave line the way musicians write it: `B#3` is `C4`.
pub fn parse_note(s: &str) -> Result<u8, BadNote> {
    let bad = || BadNote {
        given: s.to_owned(),
    };
    let t = s.trim();
    if let Ok(n) = t.parse::<u8>() {
        return if n <= 127 { Ok(n) } else { Err(bad()) };
    }
    let (class, octave) = parse_pitch_class(t).ok_or_else(bad)?;
    let octave: i32 = octave.parse().map_err(|_| bad())?;
    let pitch = (octave + 1) * 12 + class;
    u8::try_from(pitch)
        .ok()
        .filter(|p| *p <= 127)
        .ok_or_else(bad)
}

/// Reads a key's root: a pitch class (`D`, `F#`, `Bb`), or any note, named or numbered,
/// for its pitch class (`D4` and `62` are both D; so is `2`, MIDI's D-1).
pub fn parse_root(s: &str) -> Result<PitchClass, BadNote> {
    if let Ok(pitch) = parse_note(s) {
        return Ok(PitchClass::of(pitch));
    }
    match parse_pitch_class(s.trim()) {
        Some((class, "")) => Ok(PitchClass(class.rem_euclid(12) as u8)),
        _ => Err(BadNote {
            given: s.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(NoteName(60).to_string(), "C4");
        assert_eq!(NoteName(61).to_string(), "C#4");
        assert_eq!(NoteName(0).to_string(), "C-1");
        assert_eq!(NoteName(127).to_string(), "G9");
        for (text, pitch) in [
            ("C4", 60),
            ("c#4", 61),
            ("Bb2", 46),
            ("C-1", 0),
            ("G9", 127),
            (" 64 ", 64),
            ("B#3", 60),
            ("Cb4", 59),
            ("E♭4", 63),
        ] {
            assert_eq!(parse_note(text), Ok(pitch), "{text}");
        }
        for bad in ["H4", "C", "G#9", "128", "C-2", "", "C4x"] {
            let err = parse_note(bad).unwrap_err();
            assert!(err.to_string().contains("C4 = 60"), "{bad}");
        }
        for p in 0..=127 {
            assert_eq!(parse_note(&NoteName(p).to_string()), Ok(p));
        }
    }

    #[test]
    fn pitch_classes() {
        for (text, class) in [
            ("Bb", 10),
            ("c#", 1),
            ("Cb", 11),
            ("11", 11),
            ("62", 2),
            ("D4", 2),
        ] {
            assert_eq!(parse_root(text), Ok(PitchClass(class)), "{text}");
        }
        assert!(parse_root("H").is_err() && parse_root("128").is_err());
        let names: Vec<String> = PitchClass::all().map(|p| p.to_string()).collect();
        assert_eq!(names.join(" "), "C C# D D# E F F# G G# A A# B");
    }
}
