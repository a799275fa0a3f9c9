//! Damaged model sets, through the loader the plugin uses on activation (a user model
//! folder's `ModelEntry::load`, then `Engine::new`): every one loads and plays, or is refused
//! with an error naming the damaged file, and none allocates more than a bounded amount on
//! the way. The shipped models' real files are the starting point of every case.
//!
//! Memory is bounded structurally, not timed: this test binary's allocator refuses any single
//! allocation over [`LARGEST_ALLOCATION`] (the process aborts, failing the run, instead of
//! swapping), and counts each thread's live bytes so every load's peak can be asserted.

use deepmidi_engine::catalogue::{ModelEntry, ModelSource};
use deepmidi_engine::model::limits::{MAX_HEADER_BYTES, MAX_WEIGHT_FILE_BYTES};
use deepmidi_engine::model::{ModelError, ModelSet};
use deepmidi_engine::realtime::{Bars, Engine, EngineParams, EventGenerator};
use proptest::prelude::*;
use serde_json::{json, Value};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};

/// The shipped models' largest tensor is under 1 MB; the old loader asked for 3 GB at once.
const LARGEST_ALLOCATION: usize = 64 << 20;
/// A shipped model set, read and converted, holds about 8 MB at its peak.
const PEAK_PER_LOAD: isize = 64 << 20;

struct Bounded;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + delta);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

unsafe impl GlobalAlloc for Bounded {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LARGEST_ALLOCATION {
            return std::ptr::null_mut();
        }
        count(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LARGEST_ALLOCATION {
            return std::ptr::null_mut();
        }
        count(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Bounded = Bounded;

/// Runs `f`, returning what it returned and the most bytes it held live at once on this
/// thread above what the thread held before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, isize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let out = f();
    (out, PEAK.with(Cell::get) - before)
}

struct Files {
    meta: Value,
    note: Vec<u8>,
    offset: Vec<u8>,
}

/// A shipped model's files, read once per test process.
fn shipped(name: &str) -> &'static Files {
    static FILES: std::sync::OnceLock<Vec<Files>> = std::sync::OnceLock::new();
    let all = FILES.get_or_init(|| MODELS.iter().map(|m| read_shipped(m)).collect());
    &all[MODELS.iter().position(|m| *m == name).unwrap()]
}

fn read_shipped(name: &str) -> Files {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../models")
        .join(name);
    let read = |f: &str| std::fs::read(dir.join(f)).unwrap();
    Files {
        meta: serde_json::from_slice(&read("model.json")).unwrap(),
        note: read("note.safetensors"),
        offset: read("offset.safetensors"),
    }
}

const MODELS: [&str; 2] = ["irish", "bach"];
const WEIGHT_FILES: [&str; 2] = ["note.safetensors", "offset.safetensors"];

/// Writes the set into a fresh user-model-like folder and loads it as the plugin does:
/// `Ok` when it loaded and an engine was built and played, else the load's error, checked to
/// name a file of the folder. Also asserts the load's memory bound.
fn load(meta: &[u8], note: &[u8], offset: &[u8]) -> Result<(), String> {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("shared-model");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("model.json"), meta).unwrap();
    std::fs::write(dir.join(WEIGHT_FILES[0]), note).unwrap();
    std::fs::write(dir.join(WEIGHT_FILES[1]), offset).unwrap();
    load_dir(&dir)
}

fn load_dir(dir: &Path) -> Result<(), String> {
    let entry = ModelEntry {
        name: "shared-model".into(),
        source: ModelSource::Folder(dir.to_path_buf()),
    };
    let (loaded, peak) = peak_of(|| {
        entry
            .load()
            .and_then(|set| Ok((Engine::new(&set, 48_000.0, 1)?, set)))
    });
    assert!(
        peak < PEAK_PER_LOAD,
        "loading held {peak} bytes at once ({loaded:?})",
        loaded = loaded.as_ref().map(|_| ())
    );
    match loaded {
        Ok((_, set)) => {
            plays(&set);
            Ok(())
        }
        Err(e) => {
            names_a_file_of(&e, dir);
            Err(e.to_string())
        }
    }
}

fn names_a_file_of(e: &ModelError, dir: &Path) {
    let message = e.to_string();
    let named = ["model.json", WEIGHT_FILES[0], WEIGHT_FILES[1]]
        .iter()
        .any(|f| message.contains(&dir.join(f).display().to_string()));
    assert!(
        named,
        "the error names no file of {}: {message}",
        dir.display()
    );
}

/// A set that loaded must play: a few bars of events, as `deepmidi generate` lays them.
fn plays(set: &ModelSet) {
    let mut generator = EventGenerator::new(set, 7).unwrap();
    let params = EngineParams::default();
    let (grid, steering, bars) = (set.meta.grid, params.steering(), Bars::default());
    let mut beat = 0.0;
    for _ in 0..64 {
        generator.set_position(bars.position(beat, 1.0, &grid));
        let event = generator.next_event(&steering);
        let gap = params.place(&grid, event.offset_steps).gap;
        assert!(gap.is_finite() && gap >= 0.0, "gap {gap}");
        beat += gap;
    }
}

fn meta_bytes(meta: &Value) -> Vec<u8> {
    serde_json::to_vec_pretty(meta).unwrap()
}

/// The set with its `model.json` edited at `pointer` (which must exist).
fn with_field(files: &Files, pointer: &str, value: Value) -> Vec<u8> {
    let mut meta = files.meta.clone();
    *meta
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer} in model.json")) = value;
    meta_bytes(&meta)
}

#[test]
fn the_shipped_models_load_and_play() {
    for name in MODELS {
        let f = shipped(name);
        load(&meta_bytes(&f.meta), &f.note, &f.offset).unwrap();
    }
}

/// The sizes that made `deepmidi generate` and the plugin abort (3 GB at once), or take
/// 375 MB and 1.5 s before their error.
#[test]
fn absurd_layer_counts_are_refused_from_model_json() {
    let f = shipped("irish");
    for layers in [1_000_000_000u64, 1_000_000, 17, 0] {
        let err = load(
            &with_field(f, "/hyper/layers", json!(layers)),
            &f.note,
            &f.offset,
        )
        .unwrap_err();
        assert!(
            err.contains("model.json") && err.contains(&format!("hyper.layers is {layers}")),
            "{err}"
        );
    }
    // A count the bounds allow but the weights do not hold: the weight file says why.
    let err = load(
        &with_field(f, "/hyper/layers", json!(4)),
        &f.note,
        &f.offset,
    )
    .unwrap_err();
    assert!(
        err.contains("note.safetensors") && err.contains("expected"),
        "{err}"
    );
}

/// A weight file longer than any network may be is refused from its length alone: the test
/// file is sparse, and reading it would have blown the allocator's bound.
#[test]
fn a_weight_file_over_the_cap_is_not_read() {
    let f = shipped("bach");
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("huge");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("model.json"), meta_bytes(&f.meta)).unwrap();
    std::fs::write(dir.join(WEIGHT_FILES[0]), &f.note).unwrap();
    let huge = std::fs::File::create(dir.join(WEIGHT_FILES[1])).unwrap();
    huge.set_len(MAX_WEIGHT_FILE_BYTES + 1).unwrap();
    let err = load_dir(&dir).unwrap_err();
    assert!(
        err.contains("offset.safetensors") && err.contains("more than a model file may hold"),
        "{err}"
    );
}

#[test]
fn a_huge_header_length_is_refused_before_the_header_is_parsed() {
    let f = shipped("irish");
    for n in [u64::MAX, MAX_HEADER_BYTES + 1, 99_999_999] {
        let mut note = f.note.clone();
        note[..8].copy_from_slice(&n.to_le_bytes());
        let err = load(&meta_bytes(&f.meta), &note, &f.offset).unwrap_err();
        assert!(
            err.contains("note.safetensors")
                && err.contains(&format!(
                    "header would be {n} bytes, at most {MAX_HEADER_BYTES}"
                )),
            "{err}"
        );
    }
}

/// Values for a numeric field: huge, negative, zero, fractional, and of the wrong type.
fn absurd_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(1_000_000_000u64)),
        Just(json!(1_000_000u64)),
        Just(json!(u64::MAX)),
        Just(json!(u32::MAX)),
        Just(json!(1e300)),
        Just(json!(-1)),
        Just(json!(i64::MIN)),
        Just(json!(0)),
        Just(json!(1)),
        Just(json!(2.5)),
        Just(json!(-0.0)),
        Just(json!("3")),
        Just(json!("")),
        Just(Value::Null),
        Just(json!(true)),
        Just(json!([])),
        Just(json!([1, 2])),
        Just(json!({})),
        (0u64..300).prop_map(|n| json!(n)),
        (0u64..70_000).prop_map(|n| json!(n)),
    ]
}

fn meter_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("0/0")),
        Just(json!("99999/1")),
        Just(json!("4/0")),
        Just(json!("3/3")),
        Just(json!("-1/4")),
        Just(json!("255/64")),
        Just(json!("1/1")),
        Just(json!("4/4/4")),
        Just(json!(44)),
        "[0-9/ ]{0,8}".prop_map(|s| json!(s)),
    ]
}

/// A JSON pointer to one numeric field of `meta` (vocabulary entries by index).
fn numeric_field(meta: &Value) -> impl Strategy<Value = String> {
    let len = |p: &str| {
        meta.pointer(p)
            .and_then(Value::as_array)
            .map_or(1, Vec::len)
    };
    let (notes, offsets) = (len("/note_vocab/tokens"), len("/offset_vocab/tokens"));
    prop_oneof![
        4 => prop::sample::select(vec![
            "/format",
            "/hyper/layers",
            "/hyper/units",
            "/hyper/embedding",
            "/hyper/seq_len",
            "/hyper/batch_size",
            "/hyper/steps",
            "/hyper/min_count",
            "/hyper/seed",
            "/hyper/dropout",
            "/hyper/learning_rate",
            "/grid/steps_per_quarter",
            "/grid/max_steps",
            "/corpus/files",
            "/training/steps_done",
            "/training/seconds",
        ])
        .prop_map(str::to_owned),
        1 => (0..notes).prop_map(|i| format!("/note_vocab/tokens/{i}/0")),
        1 => (0..notes).prop_map(|i| format!("/note_vocab/counts/{i}")),
        1 => (0..offsets).prop_map(|i| format!("/offset_vocab/tokens/{i}")),
        1 => (0..offsets).prop_map(|i| format!("/offset_vocab/counts/{i}")),
    ]
}

/// Whole-structure damage: vocabularies of another length, chords of too many notes, zeroed
/// counts, a different architecture.
fn structural_edit() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        (0usize..100_000).prop_map(|n| (
            "/offset_vocab/tokens".to_owned(),
            json!((0..n as u64).collect::<Vec<_>>())
        )),
        (0usize..40).prop_map(|n| ("/note_vocab/tokens".to_owned(), json!(vec![[60]; n]))),
        (0usize..40).prop_map(|n| ("/note_vocab/tokens/1".to_owned(), json!(vec![60; n]))),
        (0usize..40).prop_map(|n| ("/offset_vocab/counts".to_owned(), json!(vec![0; n]))),
        prop::sample::select(vec!["seed", "joint", "other", ""])
            .prop_map(|a| ("/hyper/arch".to_owned(), json!(a))),
        prop::sample::select(vec!["chord", "split", "other"])
            .prop_map(|m| ("/mode".to_owned(), json!(m))),
        meter_value().prop_map(|m| ("/meter".to_owned(), m)),
    ]
}

/// One to three edits of a shipped model's `model.json`.
fn damaged_meta() -> impl Strategy<Value = (usize, Vec<(String, Value)>)> {
    let metas: Vec<Value> = MODELS.iter().map(|m| shipped(m).meta.clone()).collect();
    (0..MODELS.len()).prop_flat_map(move |m| {
        let edit = prop_oneof![
            3 => (numeric_field(&metas[m]), absurd_value()),
            1 => structural_edit(),
        ];
        (Just(m), prop::collection::vec(edit, 1..=3))
    })
}

#[derive(Debug, Clone)]
enum Damage {
    Truncate(usize),
    FlipBit(usize, u8),
    /// A bit flipped in the header or its length, where damage changes what is read.
    FlipHeaderBit(usize, u8),
    HeaderLength(u64),
    Garbage(Vec<u8>),
    Append(Vec<u8>),
    /// One tensor's declared shape replaced, its data left as it was.
    LieAboutShape(usize, Vec<u64>),
}

fn damage() -> impl Strategy<Value = Damage> {
    let index = 0usize..4_000_000;
    prop_oneof![
        index.clone().prop_map(Damage::Truncate),
        (index.clone(), 0u8..8).prop_map(|(i, b)| Damage::FlipBit(i, b)),
        (0usize..1_500, 0u8..8).prop_map(|(i, b)| Damage::FlipHeaderBit(i, b)),
        prop_oneof![
            any::<u64>(),
            Just(0u64),
            Just(u64::MAX),
            Just(1u64 << 40),
            0u64..3_000_000
        ]
        .prop_map(Damage::HeaderLength),
        prop::collection::vec(any::<u8>(), 0..4096).prop_map(Damage::Garbage),
        prop::collection::vec(any::<u8>(), 1..64).prop_map(Damage::Append),
        (
            0usize..20,
            prop::collection::vec(
                prop_oneof![0u64..600, Just(1u64 << 31), Just(u64::MAX / 2)],
                0..4
            )
        )
            .prop_map(|(t, shape)| Damage::LieAboutShape(t, shape)),
    ]
}

fn apply(bytes: &[u8], damage: &Damage) -> Vec<u8> {
    let mut out = bytes.to_vec();
    match damage {
        Damage::Truncate(at) => out.truncate(*at % bytes.len()),
        Damage::FlipBit(at, bit) | Damage::FlipHeaderBit(at, bit) => {
            let at = at % bytes.len();
            out[at] ^= 1 << bit;
        }
        Damage::HeaderLength(n) => out[..8].copy_from_slice(&n.to_le_bytes()),
        Damage::Garbage(g) => out.clone_from(g),
        Damage::Append(tail) => out.extend_from_slice(tail),
        Damage::LieAboutShape(t, shape) => {
            let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
            let mut header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
            let names: Vec<String> = header
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| *k != "__metadata__")
                .cloned()
                .collect();
            let name = &names[t % names.len()];
            header[name]["shape"] = json!(shape);
            let text = serde_json::to_vec(&header).unwrap();
            out = (text.len() as u64).to_le_bytes().to_vec();
            out.extend_from_slice(&text);
            out.extend_from_slice(&bytes[8 + n..]);
        }
    }
    out
}

proptest! {
    #[test]
    fn damaged_model_json_loads_or_names_the_file((model, edits) in damaged_meta()) {
        let f = shipped(MODELS[model]);
        let mut meta = f.meta.clone();
        for (pointer, value) in &edits {
            // An earlier edit may have removed what this one points into.
            if let Some(field) = meta.pointer_mut(pointer) {
                *field = value.clone();
            }
        }
        let _ = load(&meta_bytes(&meta), &f.note, &f.offset);
    }

    #[test]
    fn damaged_weights_load_or_name_the_file(
        model in 0..MODELS.len(),
        which in 0..2usize,
        damage in damage(),
    ) {
        let f = shipped(MODELS[model]);
        let damaged = apply(if which == 0 { &f.note } else { &f.offset }, &damage);
        let (note, offset) = if which == 0 {
            (&damaged, &f.offset)
        } else {
            (&f.note, &damaged)
        };
        if let Err(e) = load(&meta_bytes(&f.meta), note, offset) {
            // The damaged file is the one named.
            prop_assert!(e.contains(WEIGHT_FILES[which]), "{damage:?}: {e}");
        }
    }

    #[test]
    fn garbage_model_json_names_the_file(text in prop_oneof![
        ".{0,200}",
        prop::collection::vec(any::<u8>(), 0..200)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]) {
        let f = shipped("irish");
        let err = load(text.as_bytes(), &f.note, &f.offset).unwrap_err();
        prop_assert!(err.contains("model.json"), "{err}");
    }
}
