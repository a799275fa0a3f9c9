//! The real-time LSTM against candle's stock LSTM: on the shipped models, and on fresh
//! networks of both architectures (every input: tokens of both streams, bar positions).

mod common;

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};
use deepmidi_cli::model::{
    load_model_set, random_steps, save_model_set, Arch, CandleModels, ModelSet, Network, PerStream,
    StreamKind,
};
use deepmidi_cli::realtime::PackedLstm;
use deepmidi_cli::tokens::TokenMode;
use std::path::Path;

/// The largest difference between the packed LSTM's logits and candle's over 1000 random
/// steps of one network.
fn worst_difference(set: &ModelSet, kind: StreamKind) -> f32 {
    let mut reference = set.reference(kind).unwrap();
    let mut packed = PackedLstm::new(set, kind).unwrap();
    let mut state = packed.new_state();
    let mut worst = 0f32;
    for step in random_steps(set.shape(kind), 1000, 11) {
        let want = reference.step(&step).unwrap();
        let got = packed.step(&mut state, &step);
        assert_eq!(want.len(), got.len());
        for (a, b) in want.iter().zip(got) {
            worst = worst.max((a - b).abs());
        }
    }
    worst
}

#[test]
fn packed_lstm_matches_candle_over_1000_random_steps() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut checked = 0;
    for name in ["irish", "bach"] {
        let set = load_model_set(&models.join(name))
            .unwrap_or_else(|e| panic!("shipped model {name}: {e}"));
        for kind in StreamKind::ALL {
            let worst = worst_difference(&set, kind);
            assert!(worst <= 1e-4, "{name} {kind:?}: max abs difference {worst}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}

/// Fresh networks at the default sizes (random weights reach every input), both
/// architectures.
#[test]
fn packed_lstm_matches_candle_for_both_architectures() {
    let dir = tempfile::tempdir().unwrap();
    let (tiny, _) = common::tiny_model(dir.path(), "irish", TokenMode::Chord, 2);
    for arch in [Arch::Seed, Arch::Joint] {
        let mut meta = tiny.meta.clone();
        meta.hyper = deepmidi_cli::model::Hyper {
            arch,
            ..Default::default()
        };
        let vars = |kind| {
            let vars = VarMap::new();
            Network::new(
                meta.shape(kind),
                0.0,
                VarBuilder::from_varmap(&vars, DType::F32, &Device::Cpu),
            )
            .unwrap();
            vars
        };
        let out = dir.path().join(arch.to_string());
        let vars = PerStream::from_fn(vars);
        save_model_set(&out, &meta, vars.map(|_, v| v)).unwrap();
        let set = load_model_set(&out).unwrap();
        for kind in StreamKind::ALL {
            let worst = worst_difference(&set, kind);
            assert!(worst <= 1e-4, "{arch} {kind:?}: max abs difference {worst}");
        }
    }
}
