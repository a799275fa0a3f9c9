//! The real-time LSTM against candle's stock LSTM, on the shipped models.

use deepmidi_cli::model::{load_model_set, CandleModels, StreamKind};
use deepmidi_cli::realtime::PackedLstm;
use rand::{Rng, SeedableRng};
use std::path::Path;

#[test]
fn packed_lstm_matches_candle_over_1000_random_steps() {
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
    let mut checked = 0;
    for name in ["irish", "bach"] {
        let set = load_model_set(&models.join(name))
            .unwrap_or_else(|e| panic!("shipped model {name}: {e}"));
        for kind in [StreamKind::Note, StreamKind::Offset] {
            let mut reference = set.reference(kind).unwrap();
            let mut packed = PackedLstm::new(&set, kind).unwrap();
            let vocab = set.shape(kind).vocab as u32;
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
            let mut worst = 0f32;
            for _ in 0..1000 {
                let token = rng.random_range(0..vocab);
                let want = reference.step(token).unwrap();
                let got = packed.step(token);
                for (a, b) in want.iter().zip(got) {
                    worst = worst.max((a - b).abs());
                }
            }
            assert!(worst <= 1e-4, "{name} {kind:?}: max abs difference {worst}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4);
}
