//! The bounds a model set's files must keep, checked before anything is sized from them.
//!
//! Model sets are untrusted input: musicians share them, and the plugin loads every one in
//! the user's model folder when a host activates it. A size read from a file that is used
//! before it is checked can make a load allocate gigabytes and abort the host, whatever
//! model is selected. So every size in `model.json` is checked here as soon as it is parsed,
//! each weight file's length before it is read, and each weight file's safetensors header
//! (tensor count, names, dtypes, shapes) before any tensor data is converted.
//!
//! The bounds are generous: each is far above what `deepmidi train` makes today and what the
//! real-time path could step in time, so they only refuse files no training run made.

use super::files::ModelError;
use super::metadata::{MetaError, ModelMeta};
use super::streams::StreamKind;
use super::tensors::NetworkShape;
use crate::corpus::MAX_CHORD_NOTES;
use safetensors::{Dtype, SafeTensors};
use std::io::Read;
use std::path::Path;

/// Stacked LSTM layers per network. The shipped models have 3; every layer is stepped on
/// the audio thread at each onset.
pub const MAX_LAYERS: usize = 16;
/// LSTM units per layer (shipped: 128). A step costs about 8·units² multiply-adds per layer.
pub const MAX_UNITS: usize = 4096;
/// Width of each token embedding (shipped: 64).
pub const MAX_EMBEDDING: usize = 4096;
/// Indices of either vocabulary, `UNKNOWN` included. Note vocabularies hold every chord seen
/// `min_count` times (the shipped ones: a few hundred); the sampler scans the whole
/// vocabulary at each draw, so a bigger one could not play in real time anyway.
pub const MAX_VOCAB: usize = 65_536;
/// Grid resolution: 960 is the finest tick rate common in MIDI files (shipped: 24).
pub const MAX_STEPS_PER_QUARTER: u32 = 960;
/// The longest gap a grid may hold, in quarter notes (shipped: 8); `max_steps` is at most
/// this many quarters of the grid.
pub const MAX_GAP_QUARTERS: u32 = 64;
/// Training window length and batch size: a run resumed from a model set sizes its batches
/// (`seq_len × batch_size` steps) from these. Shipped: 64 and 32.
pub const MAX_SEQ_LEN: usize = 4096;
pub const MAX_BATCH_SIZE: usize = 1024;
/// Parameters of one network: 64 Mi floats, 256 MiB (the shipped networks: about 420 k).
/// The single bound on what loading a weight file allocates.
pub const MAX_PARAMETERS: usize = 64 << 20;
/// A safetensors header (its JSON, without the 8-byte length): a network of `MAX_LAYERS`
/// layers names about 70 tensors in a few kilobytes (shipped: 1.4 kB). Checked before the
/// header is parsed, since parsing it allocates several times its size.
pub const MAX_HEADER_BYTES: u64 = 1 << 20;
/// A weight file: the most parameters there may be, plus its header.
pub const MAX_WEIGHT_FILE_BYTES: u64 = (MAX_PARAMETERS as u64) * 4 + 8 + MAX_HEADER_BYTES;
/// `model.json`: the shipped ones are about 4 kB; a vocabulary of `MAX_VOCAB` chords of
/// `MAX_CHORD_NOTES` pitches, pretty-printed, stays under 16 MiB.
pub const MAX_META_BYTES: u64 = 16 << 20;

/// Checks every size and token in a parsed `model.json`, so that nothing sized from it
/// (the tensor layout, the token tables, a resumed training run) can be unbounded.
pub fn check_meta(meta: &ModelMeta) -> Result<(), MetaError> {
    let h = &meta.hyper;
    within("hyper.layers", h.layers, 1, MAX_LAYERS)?;
    within("hyper.units", h.units, 1, MAX_UNITS)?;
    within("hyper.embedding", h.embedding, 1, MAX_EMBEDDING)?;
    within("hyper.seq_len", h.seq_len, 1, MAX_SEQ_LEN)?;
    within("hyper.batch_size", h.batch_size, 1, MAX_BATCH_SIZE)?;
    let g = &meta.grid;
    within(
        "grid.steps_per_quarter",
        g.steps_per_quarter as usize,
        1,
        MAX_STEPS_PER_QUARTER as usize,
    )?;
    within(
        "grid.max_steps",
        g.max_steps as usize,
        1,
        (g.steps_per_quarter * MAX_GAP_QUARTERS) as usize,
    )?;
    // Besides UNKNOWN, which is never played, a vocabulary needs a token to play.
    within("note_vocab's length", meta.note_vocab.len(), 2, MAX_VOCAB)?;
    within(
        "offset_vocab's length",
        meta.offset_vocab.len(),
        2,
        MAX_VOCAB,
    )?;
    for i in 1..meta.note_vocab.len() as u32 {
        let chord = meta.note_vocab.token(i).map_or(&[][..], Vec::as_slice);
        if chord.is_empty() || chord.len() > MAX_CHORD_NOTES || chord.iter().any(|&p| p > 127) {
            return Err(MetaError::Bound(format!(
                "note_vocab token {i} is {chord:?}: a chord is 1 to {MAX_CHORD_NOTES} MIDI pitches (0 to 127)"
            )));
        }
    }
    for i in 1..meta.offset_vocab.len() as u32 {
        let steps = meta.offset_vocab.token(i).copied().unwrap_or(0);
        if steps > g.max_steps {
            return Err(MetaError::Bound(format!(
                "offset_vocab token {i} is {steps} steps, more than grid.max_steps ({})",
                g.max_steps
            )));
        }
    }
    for kind in StreamKind::ALL {
        let parameters = parameters(&meta.shape(kind));
        if parameters.is_none_or(|p| p > MAX_PARAMETERS) {
            return Err(MetaError::Bound(format!(
                "the {} network would have {}, more than {MAX_PARAMETERS}",
                kind.file_name(),
                parameters.map_or("too many parameters to count".to_owned(), |p| format!(
                    "{p} parameters"
                ))
            )));
        }
    }
    Ok(())
}

fn within(what: &str, value: usize, lo: usize, hi: usize) -> Result<(), MetaError> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err(MetaError::Bound(format!(
            "{what} is {value}, it must be {lo} to {hi}"
        )))
    }
}

/// The number of floats of a network, from its sizes alone (without building its layout);
/// `None` on overflow.
fn parameters(shape: &NetworkShape) -> Option<usize> {
    let (u, layers) = (shape.units, shape.layers);
    let embeddings = shape
        .inputs()
        .iter()
        .filter_map(|&i| shape.embedding_of(i))
        .try_fold(0usize, |sum, (_, vocab)| {
            sum.checked_add(vocab.checked_mul(shape.embedding)?)
        })?;
    let gates = u.checked_mul(4)?;
    // Layer 0 reads the inputs; the others read the layer below. Each has two biases.
    let first = gates.checked_mul(shape.layer_inputs(0).checked_add(u)?.checked_add(2)?)?;
    let rest = gates
        .checked_mul(u.checked_mul(2)?.checked_add(2)?)?
        .checked_mul(layers.checked_sub(1)?)?;
    let head = shape.vocab().checked_mul(u.checked_add(1)?)?;
    embeddings
        .checked_add(first)?
        .checked_add(rest)?
        .checked_add(head)
}

/// Checks a weight file's bytes against `shape` before they are parsed: the header's length,
/// then the tensors it declares (exactly the layout's, each F32 of the layout's shape).
/// Parses the file once the header's length is known to be sane.
pub fn check_weights<'a>(bytes: &'a [u8], shape: &NetworkShape) -> Result<SafeTensors<'a>, String> {
    let header = bytes
        .get(..8)
        .map(|n| u64::from_le_bytes(n.try_into().expect("8 bytes")))
        .ok_or("not a safetensors file: shorter than its header's length")?;
    if header > MAX_HEADER_BYTES {
        return Err(format!(
            "not a safetensors file of a network: its header would be {header} bytes, at most {MAX_HEADER_BYTES}"
        ));
    }
    let file =
        SafeTensors::deserialize(bytes).map_err(|e| format!("not a safetensors file: {e}"))?;
    let layout = shape.layout();
    if file.len() != layout.len() {
        return Err(format!(
            "{} tensors, expected {} for {} layers",
            file.len(),
            layout.len(),
            shape.layers
        ));
    }
    for (name, dims) in &layout {
        let view = file
            .tensor(name)
            .map_err(|_| format!("missing tensor {name}"))?;
        if view.dtype() != Dtype::F32 {
            return Err(format!("tensor {name} is {:?}, expected F32", view.dtype()));
        }
        if view.shape() != dims.as_slice() {
            return Err(format!(
                "tensor {name} has shape {:?}, expected {dims:?}",
                view.shape()
            ));
        }
    }
    Ok(file)
}

/// Reads a model file of at most `cap` bytes: a longer one is refused before it is read
/// (and one that grows while it is read is refused too, never read past the cap).
pub fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ModelError> {
    let too_big = |len: u64| {
        ModelError::new(
            path,
            format!("{len} bytes, more than a model file may hold ({cap} bytes)"),
        )
    };
    let file = std::fs::File::open(path).map_err(|e| ModelError::new(path, e))?;
    let len = file.metadata().map_err(|e| ModelError::new(path, e))?.len();
    if len > cap {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ModelError::new(path, e))?;
    if bytes.len() as u64 > cap {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The cap on a model set file's length, by its name.
pub fn file_cap(name: &str) -> u64 {
    if name == super::files::META_FILE {
        MAX_META_BYTES
    } else {
        MAX_WEIGHT_FILE_BYTES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Arch, PerStream};

    #[test]
    fn the_parameter_count_matches_the_layout() {
        for arch in [Arch::Seed, Arch::Joint] {
            for kind in StreamKind::ALL {
                let shape = NetworkShape {
                    arch,
                    kind,
                    vocabs: PerStream::from_fn(|k| match k {
                        StreamKind::Note => 45,
                        StreamKind::Offset => 13,
                    }),
                    embedding: 6,
                    units: 10,
                    layers: 3,
                };
                let counted: usize = shape
                    .layout()
                    .iter()
                    .map(|(_, dims)| dims.iter().product::<usize>())
                    .sum();
                assert_eq!(parameters(&shape), Some(counted), "{arch:?} {kind:?}");
            }
        }
    }

    #[test]
    fn the_largest_sizes_allowed_overflow_nothing() {
        let shape = NetworkShape {
            arch: Arch::Joint,
            kind: StreamKind::Offset,
            vocabs: PerStream::from_fn(|_| MAX_VOCAB),
            embedding: MAX_EMBEDDING,
            units: MAX_UNITS,
            layers: MAX_LAYERS,
        };
        // Counted, and over the cap: such a set is refused with a number, not a panic.
        assert!(parameters(&shape).is_some_and(|p| p > MAX_PARAMETERS));
        let huge = NetworkShape {
            units: usize::MAX / 2,
            ..shape
        };
        assert_eq!(parameters(&huge), None);
    }

    #[test]
    fn a_file_over_its_cap_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("note.safetensors");
        std::fs::write(&path, [7u8; 100]).unwrap();
        assert_eq!(read_capped(&path, 100).unwrap().len(), 100);
        let err = read_capped(&path, 99).unwrap_err();
        assert!(
            err.to_string().contains("note.safetensors") && err.to_string().contains("100 bytes"),
            "{err}"
        );
    }
}
