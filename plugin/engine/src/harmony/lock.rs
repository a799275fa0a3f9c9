//! The pitch lock: a scale on a root, and a note range, as the set of MIDI pitches the
//! sampler may play.

use super::{KeyEstimate, PitchClass, Scale};

/// A set of MIDI pitches, one bit each: the lock's test of a whole chord is one mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PitchSet(u128);

impl PitchSet {
    pub const ALL: PitchSet = PitchSet(u128::MAX);
    pub const EMPTY: PitchSet = PitchSet(0);

    pub fn of(pitches: &[u8]) -> PitchSet {
        PitchSet(pitches.iter().fold(0, |bits, &p| bits | 1u128 << (p & 127)))
    }

    /// Every pitch from `lowest` to `highest`, both included.
    pub fn range(lowest: u8, highest: u8) -> PitchSet {
        let (lo, hi) = (lowest.min(127), highest.min(127));
        if lo > hi {
            return PitchSet::EMPTY;
        }
        let upto = |p: u8| -> u128 {
            if p == 127 {
                u128::MAX
            } else {
                (1u128 << (p + 1)) - 1
            }
        };
        PitchSet(upto(hi) & !(upto(lo) >> 1))
    }

    pub fn contains(self, pitch: u8) -> bool {
        pitch < 128 && (self.0 >> pitch) & 1 == 1
    }

    /// Whether every pitch of `other` is in this set.
    pub fn contains_all(self, other: PitchSet) -> bool {
        other.0 & !self.0 == 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn len(self) -> u32 {
        self.0.count_ones()
    }

    pub fn intersection(self, other: PitchSet) -> PitchSet {
        PitchSet(self.0 & other.0)
    }

    /// The pitch of this set nearest to `pitch`, the lower one on a tie; `None` when empty.
    pub fn nearest(self, pitch: u8) -> Option<u8> {
        let p = pitch.min(127);
        (0..=127u8).find_map(|d| {
            let below = p.checked_sub(d).filter(|&q| self.contains(q));
            below.or_else(|| p.checked_add(d).filter(|&q| self.contains(q)))
        })
    }

    /// For a pitch the set may lie far from: the same pitch class moved by octaves to
    /// where the set's pitches are, then the nearest of them. A melody the model plays an
    /// octave or three away keeps its shape in the set's register instead of piling onto
    /// its edge. `None` when empty.
    pub fn nearest_by_octave(self, pitch: u8) -> Option<u8> {
        if self.is_empty() {
            return None;
        }
        let lowest = self.0.trailing_zeros() as i32;
        let highest = 127 - self.0.leading_zeros() as i32;
        let p = i32::from(pitch.min(127));
        let distance = |q: i32| (lowest - q).max(q - highest).max(0);
        let moved = (-10..=10)
            .map(|k| p + 12 * k)
            .filter(|q| (0..=127).contains(q))
            .min_by_key(|&q| (distance(q), (q - p).abs()))
            .unwrap_or(p);
        self.nearest(moved as u8)
    }

    /// The pitches, lowest first.
    pub fn iter(self) -> impl Iterator<Item = u8> {
        (0..=127u8).filter(move |&p| self.contains(p))
    }
}

/// A keyed scale on its root: what a locked stream starts in, and what a key finder should
/// hear in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub root: PitchClass,
    pub scale: Scale,
}

impl Key {
    /// The major or minor key a key finder should hear in music of this key: the root, minor
    /// when the scale's third is (dorian counts as minor, mixolydian as major).
    pub fn heard_as(self) -> KeyEstimate {
        KeyEstimate {
            tonic: self.root.index(),
            minor: self.scale.is_minor(),
        }
    }
}

/// The plugin's Scale, Root, Lowest Note and Highest Note. The default locks nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PitchLock {
    pub scale: Scale,
    pub root: PitchClass,
    /// The range's ends; given the wrong way round, they are read in order.
    pub lowest: u8,
    pub highest: u8,
}

impl Default for PitchLock {
    fn default() -> Self {
        PitchLock {
            scale: Scale::Off,
            root: PitchClass::C,
            lowest: 0,
            highest: 127,
        }
    }
}

impl PitchLock {
    /// A lock on `scale` from `root`, within `lowest`–`highest`.
    pub fn new(scale: Scale, root: PitchClass, lowest: u8, highest: u8) -> PitchLock {
        PitchLock {
            scale,
            root,
            lowest,
            highest,
        }
    }

    /// The key a stream starts in while this lock is on; `None` for `Off` and `Chromatic`.
    pub fn key(&self) -> Option<Key> {
        self.scale.has_key().then_some(Key {
            root: self.root,
            scale: self.scale,
        })
    }

    /// The note range, lowest first.
    pub fn range(&self) -> (u8, u8) {
        let (a, b) = (self.lowest.min(127), self.highest.min(127));
        (a.min(b), a.max(b))
    }

    /// The pitches of the scale within the range. A range that holds no note of the scale
    /// (a single C#4 in C major) keeps its own notes: the register is where the part has to
    /// be, and silence is never what the musician asked for. Never empty.
    pub fn allowed(&self) -> PitchSet {
        let (lo, hi) = self.range();
        let range = PitchSet::range(lo, hi);
        let steps = self.scale.intervals();
        let root = self.root.index();
        let in_scale = (0..=127u8)
            .filter(|&p| steps & (1 << ((p + 12 - root) % 12)) != 0)
            .fold(PitchSet::EMPTY, |set, p| PitchSet(set.0 | 1u128 << p));
        match range.intersection(in_scale) {
            both if both.is_empty() => range,
            both => both,
        }
    }

    /// Whether the lock lets every pitch through (the sampler then skips its mask).
    pub fn is_off(&self) -> bool {
        self.allowed() == PitchSet::ALL
    }

    /// Where a pitch chosen under this lock goes once `to` is in force: for notes drawn
    /// before a change that play after it. Moved by the shortest way from this key's root
    /// to `to`'s, so a phrase keeps its degrees (D major's F♯ is F major's A), then into
    /// `to`'s pitches by octaves and the nearest step, as [`PitchSet::nearest_by_octave`].
    pub fn move_into(&self, to: &PitchLock, pitch: u8) -> u8 {
        let shift = match (self.key(), to.key()) {
            (Some(from), Some(to)) => {
                (i32::from(to.root.index()) - i32::from(from.root.index()) + 6).rem_euclid(12) - 6
            }
            _ => 0,
        };
        let moved = (i32::from(pitch.min(127)) + shift).clamp(0, 127) as u8;
        to.allowed().nearest_by_octave(moved).unwrap_or(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(scale: Scale, root: u8, lowest: u8, highest: u8) -> PitchLock {
        PitchLock::new(scale, PitchClass::of(root), lowest, highest)
    }

    #[test]
    fn a_pitch_moves_into_a_new_lock_by_its_degree() {
        let d_major = lock(Scale::Major, 2, 0, 127);
        let f_major = lock(Scale::Major, 5, 0, 127);
        // F#4, D major's third, is F major's third A4; a root a tritone away goes down.
        assert_eq!(d_major.move_into(&f_major, 66), 69);
        assert_eq!(
            lock(Scale::Major, 0, 0, 127).move_into(&lock(Scale::Major, 6, 0, 127), 60),
            54
        );
        // Same root, new mode: E4 in C major is E♭4 or F4 in C phrygian, the lower on a tie.
        let phrygian = lock(Scale::Phrygian, 0, 0, 127);
        assert_eq!(lock(Scale::Major, 0, 0, 127).move_into(&phrygian, 64), 63);
        // Out of a new range by octaves, so the line keeps its shape.
        let low = lock(Scale::Off, 0, 40, 47);
        assert_eq!(PitchLock::default().move_into(&low, 67), 43);
        // Off to a key: no root to move from, only the nearest pitch of the scale.
        let e_pentatonic = lock(Scale::MinorPentatonic, 4, 0, 127);
        assert_eq!(PitchLock::default().move_into(&e_pentatonic, 60), 59);
        // Any pitch lands in the new lock.
        for p in 0..=127 {
            assert!(f_major.allowed().contains(d_major.move_into(&f_major, p)));
            assert!(low.allowed().contains(phrygian.move_into(&low, p)));
        }
    }

    #[test]
    fn ranges_and_nearest() {
        assert_eq!(PitchSet::range(0, 127), PitchSet::ALL);
        assert_eq!(PitchSet::range(60, 60), PitchSet::of(&[60]));
        assert_eq!(PitchSet::range(60, 72).len(), 13);
        assert!(PitchSet::range(61, 60).is_empty());
        let set = PitchSet::of(&[60, 64, 127]);
        assert_eq!(set.nearest(62), Some(60)); // a tie goes down
        assert_eq!(set.nearest(63), Some(64));
        assert_eq!(set.nearest(0), Some(60));
        assert_eq!(set.nearest(200), Some(127));
        assert_eq!(PitchSet::EMPTY.nearest(60), None);
        assert!(set.contains_all(PitchSet::of(&[60, 127])));
        assert!(!set.contains_all(PitchSet::of(&[60, 61])));
        assert_eq!(set.iter().collect::<Vec<_>>(), [60, 64, 127]);
        // By octaves: a high E lands on the E within reach, a C# an octave up on the C.
        let octave = PitchSet::range(48, 59);
        assert_eq!(octave.nearest_by_octave(88), Some(52));
        assert_eq!(octave.nearest_by_octave(73), Some(49));
        assert_eq!(octave.nearest_by_octave(50), Some(50));
        assert_eq!(PitchSet::of(&[60]).nearest_by_octave(5), Some(60));
        assert_eq!(PitchSet::EMPTY.nearest_by_octave(5), None);
    }

    #[test]
    fn the_lock_allows_its_scale_in_its_range() {
        assert!(PitchLock::default().is_off());
        // Chromatic with the full range allows everything, but is a lock on.
        assert!(lock(Scale::Chromatic, 0, 0, 127).is_off());
        assert_eq!(lock(Scale::Chromatic, 0, 0, 127).key(), None);
        let d_major = lock(Scale::Major, 2, 0, 127);
        let allowed: Vec<u8> = d_major
            .allowed()
            .iter()
            .filter(|p| (60..72).contains(p))
            .collect();
        assert_eq!(allowed, [61, 62, 64, 66, 67, 69, 71]);
        assert_eq!(d_major.key().map(|k| k.root), Some(PitchClass::of(2)));
        // The range, either way round.
        let octave = lock(Scale::MinorPentatonic, 9, 69, 57).allowed();
        assert_eq!(octave.iter().collect::<Vec<_>>(), [57, 60, 62, 64, 67, 69]);
        // A range with no note of the scale keeps its own notes.
        assert_eq!(lock(Scale::Major, 0, 61, 61).allowed(), PitchSet::of(&[61]));
        assert_eq!(
            lock(Scale::Off, 0, 40, 50).allowed(),
            PitchSet::range(40, 50)
        );
    }
}
