//! What each token index means, in fixed-size form the audio thread can read.

use crate::corpus::MAX_CHORD_NOTES;
use crate::harmony::PitchSet;
use crate::model::ModelMeta;
use crate::tokens::{OffsetGrid, TokenMode, UNKNOWN};

/// A chord without heap storage: the first `len` pitches are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Chord {
    pub pitches: [u8; MAX_CHORD_NOTES],
    pub len: u8,
}

impl Chord {
    pub fn as_slice(&self) -> &[u8] {
        &self.pitches[..self.len as usize]
    }

    /// Adds a pitch unless present or full; keeps the pitches sorted.
    pub fn insert(&mut self, pitch: u8) {
        let n = self.len as usize;
        if n == MAX_CHORD_NOTES || self.as_slice().contains(&pitch) {
            return;
        }
        let at = self.as_slice().partition_point(|&p| p < pitch);
        self.pitches.copy_within(at..n, at + 1);
        self.pitches[at] = pitch;
        self.len += 1;
    }
}

pub struct TokenTables {
    pub mode: TokenMode,
    pub grid: OffsetGrid,
    /// Pitches of each note index; index 0 (UNKNOWN) is empty.
    pub chords: Vec<Chord>,
    /// Grid steps of each offset index; index 0 (UNKNOWN) is 0 and never sampled.
    pub offset_steps: Vec<u32>,
    /// Training frequencies, UNKNOWN zeroed: the first token after a reset is drawn from them.
    pub note_counts: Vec<f32>,
    pub offset_counts: Vec<f32>,
    /// The pitches of each note index as a set, for the pitch lock's mask.
    pub chord_sets: Vec<PitchSet>,
    /// The commonest gap that moves time (not a split chord's 0): the rhythm of a primer.
    pub typical_gap: u32,
    /// The count-weighted mean pitch of the training notes: where a primer sits when the
    /// range leaves it free.
    pub centre_pitch: u8,
}

impl TokenTables {
    pub fn new(meta: &ModelMeta) -> TokenTables {
        let chords: Vec<Chord> = (0..meta.note_vocab.len() as u32)
            .map(|i| {
                let mut c = Chord::default();
                for &p in meta.note_vocab.token(i).map(Vec::as_slice).unwrap_or(&[]) {
                    c.insert(p.min(127));
                }
                c
            })
            .collect();
        let offset_steps: Vec<u32> = (0..meta.offset_vocab.len() as u32)
            .map(|i| meta.offset_vocab.token(i).copied().unwrap_or(0))
            .collect();
        let counts = |c: &[u64]| -> Vec<f32> {
            c.iter()
                .enumerate()
                .map(|(i, &n)| if i as u32 == UNKNOWN { 0.0 } else { n as f32 })
                .collect()
        };
        let note_counts = counts(meta.note_vocab.counts());
        let offset_counts = counts(meta.offset_vocab.counts());
        let chord_sets = chords.iter().map(|c| PitchSet::of(c.as_slice())).collect();
        let typical_gap = (0..offset_steps.len())
            .filter(|&i| offset_steps[i] > 0)
            .max_by(|&a, &b| {
                offset_counts[a]
                    .total_cmp(&offset_counts[b])
                    .then(b.cmp(&a))
            })
            .unwrap_or(0) as u32;
        let (mut sum, mut weight) = (0.0f64, 0.0f64);
        for (chord, &n) in chords.iter().zip(&note_counts) {
            for &p in chord.as_slice() {
                sum += f64::from(p) * f64::from(n);
                weight += f64::from(n);
            }
        }
        let centre_pitch = if weight > 0.0 {
            (sum / weight).round() as u8
        } else {
            60
        };
        TokenTables {
            mode: meta.mode,
            grid: meta.grid,
            chords,
            offset_steps,
            note_counts,
            offset_counts,
            chord_sets,
            typical_gap,
            centre_pitch,
        }
    }

    /// The offset index whose gap is nearest `steps`, the shorter on a tie: a gap that
    /// moves time (more than 0 steps) maps to one that does, 0 to a split chord's 0 if the
    /// vocabulary has it. What the networks hear for a gap the musician played.
    pub fn nearest_offset(&self, steps: u32) -> u32 {
        (1..self.offset_steps.len())
            .filter(|&i| (self.offset_steps[i] > 0) == (steps > 0))
            .min_by_key(|&i| (self.offset_steps[i].abs_diff(steps), self.offset_steps[i]))
            .or_else(|| {
                (1..self.offset_steps.len()).min_by_key(|&i| self.offset_steps[i].abs_diff(steps))
            })
            .map_or(crate::tokens::UNKNOWN, |i| i as u32)
    }

    /// The note index whose chord is `chord`, or else the nearest one: among chords of as
    /// many notes, the least total distance between their sorted pitches; with none of that
    /// size, the single note nearest the chord's top. What the networks hear for a chord
    /// the vocabulary lacks. Bounded by the vocabulary's size; allocation-free.
    pub fn nearest_token(&self, chord: &Chord) -> u32 {
        let wanted = chord.as_slice();
        let top = wanted.last().copied().unwrap_or(60);
        // (0, distance) for a chord of as many notes, (1, distance to the top) for a single
        // note: the least wins, the lower index on a tie.
        let score = |c: &Chord| match c.len {
            n if n == chord.len => Some((
                0,
                wanted
                    .iter()
                    .zip(c.as_slice())
                    .map(|(&a, &b)| u32::from(a.abs_diff(b)))
                    .sum(),
            )),
            1 => Some((1, u32::from(c.pitches[0].abs_diff(top)))),
            _ => None,
        };
        (1..self.chords.len())
            .filter_map(|i| score(&self.chords[i]).map(|s| (s, i as u32)))
            .min()
            .map_or(crate::tokens::UNKNOWN, |(_, i)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chord(pitches: &[u8]) -> Chord {
        let mut c = Chord::default();
        pitches.iter().for_each(|&p| c.insert(p));
        c
    }

    #[test]
    fn chords_outside_the_vocabulary_map_to_the_nearest() {
        use crate::tokens::{NoteVocab, OffsetVocab};
        let notes: Vec<Vec<u8>> = vec![vec![60], vec![64], vec![60, 64, 67], vec![62, 65, 69]];
        let meta = ModelMeta {
            format: crate::model::FORMAT_VERSION,
            name: "test".into(),
            mode: TokenMode::Chord,
            grid: OffsetGrid::default(),
            meter: Default::default(),
            note_vocab: NoteVocab::build(&notes, 1),
            offset_vocab: OffsetVocab::build(&[0, 12, 12, 24], 1),
            hyper: Default::default(),
            corpus: crate::model::CorpusInfo {
                name: "test".into(),
                files: 0,
                train_files: 0,
                validation_files: 0,
                skipped_files: 0,
                train_onsets: 0,
                train_tokens: 0,
            },
            training: crate::model::TrainingInfo {
                steps_done: 0,
                steps_run: 0,
                train_note_loss: 0.0,
                train_offset_loss: 0.0,
                validation: None,
                seconds: 0.0,
                date: String::new(),
            },
        };
        let t = TokenTables::new(&meta);
        let index = |p: &[u8]| meta.note_vocab.index_of(&p.to_vec());
        assert_eq!(t.nearest_token(&chord(&[60, 64, 67])), index(&[60, 64, 67]));
        assert_eq!(t.nearest_token(&chord(&[62, 65, 68])), index(&[62, 65, 69]));
        assert_eq!(t.nearest_token(&chord(&[63])), index(&[64]));
        // No two-note chords: the single note nearest the top one.
        assert_eq!(t.nearest_token(&chord(&[50, 61])), index(&[60]));
        assert_eq!(t.typical_gap, meta.offset_vocab.index_of(&12));
        // Played gaps: the nearest that moves time, the shorter on a tie; 0 is a split
        // chord's own.
        let gap = |s: u32| meta.offset_vocab.index_of(&s);
        assert_eq!(t.nearest_offset(1), gap(12));
        assert_eq!(t.nearest_offset(18), gap(12));
        assert_eq!(t.nearest_offset(19), gap(24));
        assert_eq!(t.nearest_offset(500), gap(24));
        assert_eq!(t.nearest_offset(0), gap(0));
        assert_eq!(
            t.chord_sets[index(&[60, 64, 67]) as usize],
            PitchSet::of(&[60, 64, 67])
        );
    }

    #[test]
    fn chord_insert_sorts_and_dedups() {
        let mut c = Chord::default();
        for p in [64, 60, 67, 60, 48] {
            c.insert(p);
        }
        assert_eq!(c.as_slice(), &[48, 60, 64, 67]);
        for p in 0..40 {
            c.insert(p);
        }
        assert_eq!(c.len as usize, MAX_CHORD_NOTES);
    }
}
