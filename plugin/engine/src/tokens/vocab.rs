//! Vocabularies: token ↔ index, built from the training files and stored with the model.
//!
//! Index 0 is always `UNKNOWN`, the fallback for anything not in the vocabulary. Tokens seen
//! fewer than `min_count` times in training are folded into it too, so the model learns what
//! "something rare" looks like instead of never seeing index 0. Samplers never emit it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

/// The index of the fallback token in every vocabulary.
pub const UNKNOWN: u32 = 0;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de> + Eq + Hash + Clone"))]
pub struct Vocab<T> {
    /// `tokens[i]` is the token of index i + 1 (index 0 is `UNKNOWN`).
    tokens: Vec<T>,
    /// How often each index occurred in the training streams, `UNKNOWN` first: the unigram
    /// baseline and the engine's first token come from these.
    counts: Vec<u64>,
    #[serde(skip)]
    index: HashMap<T, u32>,
}

/// Equal when tokens and counts are (the lookup table follows from the tokens).
impl<T: PartialEq> PartialEq for Vocab<T> {
    fn eq(&self, other: &Self) -> bool {
        self.tokens == other.tokens && self.counts == other.counts
    }
}

/// A chord (or single note): sorted distinct MIDI pitches.
pub type NoteVocab = Vocab<Vec<u8>>;
/// A gap in grid steps.
pub type OffsetVocab = Vocab<u32>;

impl<T: Clone + Eq + Hash + Ord> Vocab<T> {
    /// Builds a vocabulary from training tokens: those seen at least `min_count` times, in
    /// their natural order (pitch order, gap order), so a model file reads sensibly.
    pub fn build<'a>(tokens: impl IntoIterator<Item = &'a T>, min_count: u64) -> Self
    where
        T: 'a,
    {
        let mut freq: BTreeMap<&T, u64> = BTreeMap::new();
        for t in tokens {
            *freq.entry(t).or_default() += 1;
        }
        let mut kept = Vec::new();
        let mut counts = vec![0u64];
        for (t, n) in freq {
            if n >= min_count.max(1) {
                kept.push(t.clone());
                counts.push(n);
            } else {
                counts[0] += n;
            }
        }
        Self::from_parts(kept, counts)
    }

    fn from_parts(tokens: Vec<T>, counts: Vec<u64>) -> Self {
        let index = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32 + 1))
            .collect();
        Vocab {
            tokens,
            counts,
            index,
        }
    }

    /// Restores the lookup table after deserialising (serde skips it).
    pub fn reindexed(self) -> Self {
        Self::from_parts(self.tokens, self.counts)
    }

    /// The index of a token, or `UNKNOWN`.
    pub fn index_of(&self, token: &T) -> u32 {
        self.index.get(token).copied().unwrap_or(UNKNOWN)
    }

    /// The token of an index; `None` for `UNKNOWN` or out of range.
    pub fn token(&self, index: u32) -> Option<&T> {
        (index as usize)
            .checked_sub(1)
            .and_then(|i| self.tokens.get(i))
    }

    /// Number of indices, `UNKNOWN` included: the size of the model's embedding and output.
    pub fn len(&self) -> usize {
        self.tokens.len() + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Checks a deserialised vocabulary for consistency.
    pub fn validate(&self) -> Result<(), VocabError> {
        if self.counts.len() != self.len() {
            return Err(VocabError::Counts {
                tokens: self.len(),
                counts: self.counts.len(),
            });
        }
        if self.index.len() != self.tokens.len() {
            return Err(VocabError::Duplicates);
        }
        Ok(())
    }
}

/// Why a saved vocabulary is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VocabError {
    #[error("vocabulary has {tokens} tokens but {counts} counts")]
    Counts { tokens: usize, counts: usize },
    #[error("vocabulary has duplicate tokens")]
    Duplicates,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unseen_and_rare_tokens_map_to_unknown() {
        let train: Vec<Vec<u8>> = vec![vec![60], vec![62], vec![60], vec![60, 64, 67], vec![62]];
        let v = NoteVocab::build(&train, 2);
        assert_eq!(v.len(), 3); // UNKNOWN, [60], [62]
        assert_eq!(v.index_of(&vec![60]), 1);
        assert_eq!(v.index_of(&vec![62]), 2);
        assert_eq!(v.index_of(&vec![60, 64, 67]), UNKNOWN); // seen once: rare
        assert_eq!(v.index_of(&vec![99]), UNKNOWN); // never seen
        assert_eq!(v.counts(), &[1, 2, 2]);
        assert_eq!(v.token(UNKNOWN), None);
        assert_eq!(v.token(2), Some(&vec![62]));
        assert_eq!(v.token(77), None);
    }

    #[test]
    fn survives_json_round_trip() {
        let v = OffsetVocab::build(&[6, 12, 6, 24], 1);
        let json = serde_json::to_string(&v).unwrap();
        let back: OffsetVocab = serde_json::from_str::<OffsetVocab>(&json)
            .unwrap()
            .reindexed();
        assert_eq!(back, v);
        assert_eq!(back.index_of(&12), v.index_of(&12));
        back.validate().unwrap();
    }
}
