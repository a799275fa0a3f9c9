//! The streams a model set predicts, one network each, and [`PerStream`], the one container
//! everything that exists once per stream lives in: weights, shapes, vocabulary sizes, packed
//! networks, their states and RNGs, training learners.
//!
//! Code that handles every stream alike iterates [`StreamKind::ALL`] or maps a
//! [`PerStream`], so a new stream is a new variant here (and the exhaustive matches the
//! compiler then points at), not edits across a dozen files. The README's architecture
//! section lists what a new stream touches.

use std::ops::{Index, IndexMut};

/// One stream of tokens and the network that predicts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StreamKind {
    /// The next pitch or chord (or one chord note, in split mode).
    Note,
    /// The grid steps to the next onset.
    Offset,
}

impl StreamKind {
    /// Every stream, in file and stepping order.
    pub const ALL: [StreamKind; 2] = [StreamKind::Note, StreamKind::Offset];
    pub const COUNT: usize = Self::ALL.len();

    /// Its name in file and tensor names (`note.safetensors`, `embedding_prev_note`).
    pub fn name(self) -> &'static str {
        match self {
            StreamKind::Note => "note",
            StreamKind::Offset => "offset",
        }
    }

    /// The weights file of its network in a model set folder.
    pub fn file_name(self) -> &'static str {
        match self {
            StreamKind::Note => "note.safetensors",
            StreamKind::Offset => "offset.safetensors",
        }
    }

    /// Its place in [`StreamKind::ALL`] (what seeds and orders per-stream work).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One value per stream, indexed by [`StreamKind`]. A fixed array: no allocation, so the
/// real-time path keeps its per-stream state in it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PerStream<T>([T; StreamKind::COUNT]);

impl<T> PerStream<T> {
    pub fn from_fn(mut f: impl FnMut(StreamKind) -> T) -> PerStream<T> {
        PerStream(std::array::from_fn(|i| f(StreamKind::ALL[i])))
    }

    /// [`PerStream::from_fn`] for a constructor that can fail; the first error is returned.
    pub fn try_from_fn<E>(
        mut f: impl FnMut(StreamKind) -> Result<T, E>,
    ) -> Result<PerStream<T>, E> {
        let mut values = Vec::with_capacity(StreamKind::COUNT);
        for kind in StreamKind::ALL {
            values.push(f(kind)?);
        }
        Ok(PerStream(
            values
                .try_into()
                .unwrap_or_else(|_| unreachable!("one value per stream")),
        ))
    }

    pub fn map<'a, U>(&'a self, mut f: impl FnMut(StreamKind, &'a T) -> U) -> PerStream<U> {
        PerStream::from_fn(|kind| f(kind, &self[kind]))
    }

    pub fn iter(&self) -> impl Iterator<Item = (StreamKind, &T)> {
        StreamKind::ALL.into_iter().zip(self.0.iter())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (StreamKind, &mut T)> {
        StreamKind::ALL.into_iter().zip(self.0.iter_mut())
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.0.iter()
    }
}

impl<T: Clone> PerStream<T> {
    /// Copies `other` into `self` value by value, through each value's own `clone_from`,
    /// so buffers of equal size are reused: the real-time path snapshots its state this way
    /// without allocating.
    pub fn copy_from(&mut self, other: &PerStream<T>) {
        for (to, from) in self.0.iter_mut().zip(&other.0) {
            to.clone_from(from);
        }
    }
}

impl<T> Index<StreamKind> for PerStream<T> {
    type Output = T;

    fn index(&self, kind: StreamKind) -> &T {
        &self.0[kind.index()]
    }
}

impl<T> IndexMut<StreamKind> for PerStream<T> {
    fn index_mut(&mut self, kind: StreamKind) -> &mut T {
        &mut self.0[kind.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_has_its_own_slot_and_names() {
        let names = PerStream::from_fn(StreamKind::name);
        for kind in StreamKind::ALL {
            assert_eq!(names[kind], kind.name());
            assert!(kind.file_name().starts_with(kind.name()));
        }
        let mut counts = PerStream::<u32>::default();
        counts[StreamKind::Offset] += 2;
        assert_eq!(counts[StreamKind::Note], 0);
        assert_eq!(
            counts.iter().map(|(k, &v)| (k, v)).collect::<Vec<_>>(),
            [(StreamKind::Note, 0), (StreamKind::Offset, 2)]
        );
        let failed: Result<PerStream<u32>, StreamKind> = PerStream::try_from_fn(|k| {
            if k == StreamKind::Offset {
                Err(k)
            } else {
                Ok(1)
            }
        });
        assert_eq!(failed, Err(StreamKind::Offset));
    }

    #[test]
    fn copy_from_reuses_each_buffer() {
        let mut to = PerStream::from_fn(|_| vec![0.0f32; 8]);
        let from = PerStream::from_fn(|k| vec![k as u8 as f32; 8]);
        let before = to[StreamKind::Note].as_ptr();
        to.copy_from(&from);
        assert_eq!(to, from);
        assert_eq!(to[StreamKind::Note].as_ptr(), before);
    }
}
