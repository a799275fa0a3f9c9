//! The training path end to end on a tiny model: loss falls, files round-trip exactly,
//! generation and evaluation produce what they promise, checkpoints survive a kill.

mod common;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use deepmidi_cli::corpus::{predominant_meter, read_corpus, read_piece, Split};
use deepmidi_cli::evaluation::{evaluate, score_network};
use deepmidi_cli::generate::{generate, performance_to_smf_bytes, GenerateOptions};
use deepmidi_cli::model::{
    load_model_set, random_steps, save_model_set, Arch, CandleModels, NetInput, Network, PerStream,
    StepBatch, StreamKind,
};
use deepmidi_cli::tokens::{transpose_chord, OffsetGrid, TokenMode, UNKNOWN};
use deepmidi_cli::training::{train, Dataset, EarlyStopping, WindowSampler};

#[test]
fn tiny_model_loss_falls() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    common::copy_files("irish", 10, &corpus);
    let mut opts = common::tiny_options(&corpus, &dir.path().join("m"), TokenMode::Chord, 60);
    opts.checkpoint_every = 10;
    let report = deepmidi_cli::training::train(&opts).unwrap();
    let h = &report.history;
    assert_eq!(h.len(), 6);
    let (first, last) = (h[0], h[h.len() - 1]);
    assert!(
        last.note < first.note * 0.9,
        "note loss {} -> {}",
        first.note,
        last.note
    );
    assert!(
        last.offset < first.offset * 0.9,
        "offset loss {} -> {}",
        first.offset,
        last.offset
    );
    let v = report
        .meta
        .training
        .validation
        .expect("every 10th file validates");
    assert!(v.note.is_finite() && v.offset.is_finite() && v.per_onset > 0.0);
    assert_eq!(report.meta.training.steps_done, 60);
    assert_eq!(report.meta.corpus.files, 10);
    assert_eq!(
        (
            report.meta.corpus.train_files,
            report.meta.corpus.validation_files
        ),
        (9, 1)
    );
    // The files hold the network that was trained: the validation loss measured in memory at
    // the end of training is what the loaded files score too.
    let loaded = load_model_set(&dir.path().join("m")).unwrap();
    let corpus_read = read_corpus(&corpus).unwrap();
    let ds = deepmidi_cli::training::Dataset::build(
        &corpus_read,
        &deepmidi_cli::corpus::Split::EveryTenth,
        TokenMode::Chord,
        loaded.meta.grid,
        1,
        Default::default(),
    );
    let pieces: Vec<_> = ds.validation.iter().collect();
    let rescored = deepmidi_cli::evaluation::score_network(
        &loaded.network(StreamKind::Note).unwrap(),
        &pieces,
        32,
    )
    .unwrap();
    assert!(
        (rescored.nll() - v.note).abs() < 1e-4,
        "in memory {} vs from files {}",
        v.note,
        rescored.nll()
    );
    // The checkpoint folder is gone after a finished run; the model set and its curve stay.
    assert!(!dir.path().join("m/checkpoint").exists());
    assert!(dir.path().join("m/history.json").is_file());
}

/// For both architectures: fresh networks, saved through the model files and loaded back,
/// give bit-identical logits for both streams on steps that use every input (tokens of
/// both streams, bar positions in three meters).
#[test]
fn save_then_load_gives_identical_logits() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 5);
    for arch in [Arch::Seed, Arch::Joint] {
        let mut meta = model.meta.clone();
        meta.hyper.arch = arch;
        let build = |kind| {
            let vars = VarMap::new();
            let net = Network::new(
                meta.shape(kind),
                0.0,
                VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
            )
            .unwrap();
            (vars, net)
        };
        let (note_vars, note) = build(StreamKind::Note);
        let (offset_vars, offset) = build(StreamKind::Offset);
        let out = dir.path().join(format!("saved-{arch}"));
        let vars = PerStream::from_fn(|kind| match kind {
            StreamKind::Note => &note_vars,
            StreamKind::Offset => &offset_vars,
        });
        save_model_set(&out, &meta, vars).unwrap();
        let loaded = load_model_set(&out).unwrap();
        assert_eq!(loaded.meta.hyper.arch, arch);
        let steps = random_steps(meta.shape(StreamKind::Note), 40, 5);
        let batch = StepBatch::new(&steps, 4, 10).unwrap();
        for (kind, net) in [(StreamKind::Note, note), (StreamKind::Offset, offset)] {
            let again = loaded.network(kind).unwrap();
            let logits = |n: &Network| {
                n.forward(&batch, &n.zero_state(4).unwrap(), None)
                    .unwrap()
                    .0
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            };
            let (a, b) = (logits(&net), logits(&again));
            assert_eq!(a.len(), 4 * 10 * meta.shape(kind).vocab());
            assert_eq!(a, b, "{arch} {kind:?}");
        }
    }
}

#[test]
fn generated_file_holds_the_requested_notes() {
    let dir = tempfile::tempdir().unwrap();
    for (sub, mode) in [("irish", TokenMode::Chord), ("bach", TokenMode::Split)] {
        let (model, _) = common::tiny_model(&dir.path().join(sub), sub, mode, 5);
        for notes in [1, 37, 250] {
            let opts = GenerateOptions {
                notes,
                seed: 9,
                ..Default::default()
            };
            let perf = generate(&model, &opts, None).unwrap();
            let bytes = performance_to_smf_bytes(&perf, 0).unwrap();
            let piece = read_piece(&bytes).unwrap();
            // Distinct (tick, pitch) pairs: what a MIDI reader sees as separate notes.
            assert_eq!(piece.note_count(), notes, "{sub} {notes}");
            let smf = midly::Smf::parse(&bytes).unwrap();
            assert_eq!(smf.header.format, midly::Format::Parallel);
        }
        // Same seed, same music; another seed, other music.
        let with_seed = |seed| {
            generate(
                &model,
                &GenerateOptions {
                    seed,
                    ..Default::default()
                },
                None,
            )
            .unwrap()
        };
        let (a, b, c) = (with_seed(4), with_seed(4), with_seed(5));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

#[test]
fn generate_command_writes_midi_with_primer() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 5);
    let primer = std::fs::read_dir(dir.path().join("corpus"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let out = dir.path().join("out.mid");
    // Runs `deepmidi generate` on the tiny model into `out` and reads what it wrote.
    let generate = |args: &[&str]| {
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_deepmidi"))
            .arg("generate")
            .args(args)
            .arg("--model")
            .arg(dir.path().join("model"))
            .arg("-o")
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "deepmidi generate {args:?}");
        read_piece(&std::fs::read(&out).unwrap()).unwrap()
    };
    let primer = primer.to_str().unwrap();
    let piece = generate(&[
        "--notes",
        "64",
        "--temperature",
        "0",
        "--seed",
        "2",
        "--bpm",
        "96",
        "--primer",
        primer,
    ]);
    assert_eq!(piece.note_count(), 64);
    // Written in the model's meter, the one that holds longest in its training files.
    let corpus = read_corpus(&dir.path().join("corpus")).unwrap();
    let (train, _) = Split::EveryTenth.partition(&corpus);
    let expected = predominant_meter(train.iter().map(|&i| &corpus.pieces[i].1));
    assert_eq!(model.meta.meter, expected);
    assert_eq!(piece.meters.at(0).meter, expected);
    // --meter overrides it.
    let piece = generate(&["--notes", "8", "--meter", "7/8"]);
    assert_eq!(piece.meters.at(0).meter.to_string(), "7/8");
}

#[test]
fn eval_report_fields_are_present_and_in_range() {
    let dir = tempfile::tempdir().unwrap();
    let (model, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 20);
    let corpus = read_corpus(&dir.path().join("corpus")).unwrap();
    let report = evaluate(&model, &corpus, None, 1).unwrap();
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    for stream in ["note", "offset"] {
        for who in ["model", "unigram"] {
            let nll = json[stream][who]["nll"].as_f64().unwrap();
            let acc = json[stream][who]["accuracy"].as_f64().unwrap();
            assert!(nll > 0.0 && nll < 20.0, "{stream} {who} nll {nll}");
            assert!((0.0..=1.0).contains(&acc), "{stream} {who} accuracy {acc}");
        }
        assert!(json[stream]["tokens"].as_u64().unwrap() > 100);
        // One of the ten files is held out, so a few of its tokens may be unknown.
        let unknown = json[stream]["unknown_tokens"].as_u64().unwrap();
        assert!(
            unknown * 10 < json[stream]["tokens"].as_u64().unwrap(),
            "{stream}: {unknown} unknown"
        );
    }
    for key in ["pitch_class", "inter_onset_interval", "pitch_range"] {
        let v = json["overlap"][key].as_f64().unwrap();
        assert!((0.0..=1.0 + 1e-9).contains(&v), "{key} {v}");
    }
    assert_eq!(json["generated_notes"], json["notes"]);
    // One generated piece per evaluated file, each in its file's meter.
    let pieces: u64 = json["generated_meters"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(Some(pieces), json["files"].as_u64());
    for share in ["on_beat", "on_downbeat"] {
        for who in ["generated", "corpus"] {
            let v = json["metric_shares"][share][who].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&v), "{share} {who} {v}");
        }
    }
    // Form: every figure a share; the corpus's tunes (repeats written out) come back.
    for who in ["generated", "corpus"] {
        let form = &json["form"][who];
        for key in [
            "repeated_bars",
            "repeated_two_bar_phrases",
            "distinct_8grams",
            "best_match_back",
        ] {
            let v = form[key].as_f64().unwrap();
            assert!((0.0..=1.0 + 1e-9).contains(&v), "form {who} {key} {v}");
        }
        assert_eq!(form["match_at"].as_array().map(Vec::len), Some(4));
    }
    assert!(json["form"]["corpus"]["repeated_bars"].as_f64().unwrap() > 0.2);
    // On chorales, an Irish model meets chords it never saw: counted, and scored as UNKNOWN.
    let chorales = dir.path().join("chorales");
    common::copy_files("bach", 3, &chorales);
    let foreign = evaluate(&model, &read_corpus(&chorales).unwrap(), None, 1).unwrap();
    assert!(foreign.note.unknown_tokens > foreign.note.tokens / 2);
    assert!(foreign.note.model.nll.is_finite() && foreign.note.unigram.nll.is_finite());
    assert_eq!(json["files"].as_u64(), Some(10));
}

#[test]
fn killed_training_leaves_a_usable_checkpoint_that_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    common::copy_files("irish", 10, &corpus);
    let out = dir.path().join("m");
    let exe = env!("CARGO_BIN_EXE_deepmidi");
    let tiny = [
        "--units",
        "16",
        "--embedding",
        "8",
        "--layers",
        "1",
        "--seq-len",
        "16",
        "--batch-size",
        "4",
    ];
    let mut child = std::process::Command::new(exe)
        // No early stop: the run must still be going when it is killed.
        .args([
            "train",
            "--steps",
            "1000000",
            "--checkpoint-every",
            "3",
            "--patience",
            "0",
        ])
        .args(tiny)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ckpt = out.join("checkpoint");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !ckpt.join("model.json").is_file() {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();
    // Whatever instant the kill hit, a whole checkpoint is there and loads.
    let dir_found = [ckpt.clone(), out.join("checkpoint.old")]
        .into_iter()
        .find(|d| d.join("model.json").is_file())
        .unwrap();
    let set = load_model_set(&dir_found).unwrap();
    let done = set.meta.training.steps_done;
    assert!(done >= 3 && done % 3 == 0);
    let target = done + 4;
    let output = std::process::Command::new(exe)
        .args([
            "train",
            "--resume",
            "--checkpoint-every",
            "3",
            "--steps",
            &target.to_string(),
        ])
        .args(tiny)
        .arg("--corpus")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("at step {done}")), "{stderr}");
    // The run reached its target; the set kept is the best one measured on the way (at a
    // checkpoint or the last step, not necessarily the last).
    let resumed = load_model_set(&out).unwrap().meta.training;
    assert_eq!(resumed.steps_run, target);
    assert!(
        resumed.steps_done <= target
            && (resumed.steps_done % 3 == 0 || resumed.steps_done == target),
        "kept step {}",
        resumed.steps_done
    );
}

/// The same seed, corpus and flags give bit-identical weight files (initial weights and
/// dropout masks come from the seed); another seed gives other weights.
#[test]
fn the_same_seed_trains_bit_identical_weights() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    common::copy_files("irish", 8, &corpus);
    let run = |name: &str, seed: u64| {
        let out = dir.path().join(name);
        let mut options = common::tiny_options(&corpus, &out, TokenMode::Chord, 12);
        options.hyper.seed = seed;
        assert!(options.hyper.dropout > 0.0 && options.hyper.layers > 1);
        deepmidi_cli::training::train(&options).expect("training");
        ["note.safetensors", "offset.safetensors"].map(|f| std::fs::read(out.join(f)).unwrap())
    };
    let (a, b, other) = (run("a", 3), run("b", 3), run("c", 4));
    assert!(a == b, "seed 3 twice gave different weights");
    assert!(
        a[0] != other[0] && a[1] != other[1],
        "seeds 3 and 4 gave the same weights"
    );
}

/// A network far larger than 8 tunes need overfits within a few hundred steps: validation
/// loss falls, then rises. The output must hold the weights of the lowest point, and the
/// run must stop `patience` measurements after it.
#[test]
fn training_keeps_the_best_validation_set_and_stops_early() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("corpus");
    common::copy_files("irish", 10, &corpus);
    let out = dir.path().join("model");
    let mut opts = common::tiny_options(&corpus, &out, TokenMode::Chord, 1500);
    opts.hyper.units = 96;
    opts.hyper.dropout = 0.0;
    opts.stopping = EarlyStopping {
        validate_every: 20,
        patience: 3,
    };
    let report = train(&opts).expect("training");
    let measured: Vec<(usize, f64)> = report
        .history
        .iter()
        .filter_map(|p| p.validation.map(|v| (p.step, v.per_onset)))
        .collect();
    let (best_step, best) = measured
        .iter()
        .copied()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .expect("validation was measured");
    let last = measured.last().unwrap().0;
    assert!(
        last < 1500,
        "the run never stopped early: validation per onset {measured:?}"
    );
    assert_eq!(
        last,
        best_step + 3 * 20,
        "stopped at the wrong step: {measured:?}"
    );
    let t = &report.meta.training;
    assert_eq!((t.steps_done, t.steps_run), (best_step, last));
    assert_eq!(t.validation.unwrap().per_onset, best);

    // The files hold the weights of that step, not the last ones: scoring them again gives
    // the best step's validation loss exactly.
    let set = load_model_set(&out).unwrap();
    assert_eq!(set.meta.training.steps_done, best_step);
    let ds = Dataset::build(
        &read_corpus(&corpus).unwrap(),
        &Split::EveryTenth,
        TokenMode::Chord,
        OffsetGrid::default(),
        opts.hyper.min_count,
        opts.hyper.transpose,
    );
    let pieces: Vec<_> = ds.validation.iter().collect();
    let rescored = score_network(&set.network(StreamKind::Note).unwrap(), &pieces, 32).unwrap();
    assert_eq!(rescored.nll(), t.validation.unwrap().note);
}

/// With `--transpose -5..6`, every window is a stretch of the training stream moved as a
/// whole by one interval of the range, inside the MIDI range, and the intervals vary.
#[test]
fn transposed_windows_are_whole_windows_moved_by_one_interval() {
    let dir = tempfile::tempdir().unwrap();
    let corpus_dir = dir.path().join("corpus");
    common::copy_files("irish", 10, &corpus_dir);
    let corpus = read_corpus(&corpus_dir).unwrap();
    let build = |transpose: &str| {
        Dataset::build(
            &corpus,
            &Split::EveryTenth,
            TokenMode::Chord,
            OffsetGrid::default(),
            1,
            transpose.parse().unwrap(),
        )
    };
    let plain = build("0..0");
    let moved = build("-5..6");
    let raw: Vec<Vec<u8>> = moved
        .train_tokens
        .iter()
        .flat_map(|s| s.notes.iter().cloned())
        .collect();
    // The vocabulary holds every training token in every key of the range.
    for t in &raw {
        for by in -5..=6 {
            let shifted = transpose_chord(t, by).unwrap();
            assert_ne!(moved.note_vocab.index_of(&shifted), UNKNOWN, "{shifted:?}");
        }
    }
    assert!(moved.note_vocab.len() > plain.note_vocab.len());

    let (t, rows) = (16, 64);
    let shifts_of = |ds: &Dataset| -> Vec<i16> {
        let mut sampler = WindowSampler::new(ds, t, 5).unwrap();
        let batch = sampler.batch(rows).unwrap();
        let read = |input| batch.steps.tokens(input).to_vec2::<u32>().unwrap();
        let (note, offset) = (StreamKind::Note, StreamKind::Offset);
        let inputs = read(NetInput::Prev(note));
        let targets = batch.targets[note].to_vec2::<u32>().unwrap();
        // The joint offset network reads the note it times: the note network's target.
        assert_eq!(read(NetInput::Current(note)), targets);
        // Each step reads the tokens its predecessor predicted.
        let offsets = read(NetInput::Prev(offset));
        let offset_targets = batch.targets[offset].to_vec2::<u32>().unwrap();
        for row in 0..rows {
            assert_eq!(inputs[row][1..], targets[row][..t - 1]);
            assert_eq!(offsets[row][1..], offset_targets[row][..t - 1]);
        }
        let mut shifts = Vec::new();
        for (input, target) in inputs.iter().zip(&targets) {
            let window: Vec<&Vec<u8>> = input
                .iter()
                .chain(target.last())
                .map(|&i| ds.note_vocab.token(i).expect("a known token"))
                .collect();
            // Find where in the stream, moved by how much, this window comes from.
            let found = (0..raw.len() - t).find_map(|start| {
                let by = i16::from(window[0][0]) - i16::from(raw[start][0]);
                let fits = (0..=t).all(|k| {
                    transpose_chord(&raw[start + k], by as i8).as_ref() == Some(window[k])
                });
                fits.then_some(by)
            });
            shifts.push(found.expect("the window is a moved stretch of the training stream"));
        }
        shifts
    };
    let moved_shifts = shifts_of(&moved);
    assert!(moved_shifts.iter().all(|s| (-5..=6).contains(s)));
    let distinct: std::collections::BTreeSet<i16> = moved_shifts.iter().copied().collect();
    assert!(distinct.len() >= 8, "shifts drawn: {distinct:?}");
    assert!(shifts_of(&plain).iter().all(|&s| s == 0));
}
