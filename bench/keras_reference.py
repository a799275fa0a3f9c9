#!/usr/bin/env python3
"""Reference training throughput: the seed's network in Keras on TensorFlow (CPU).

`deepmidi bench --keras PYTHON` runs this script and compares the figure it prints with its
own, in the same run, passing its own sizes. The network is the seed's: an embedding, LSTM
layers with dropout between them, a dense head over the vocabulary, Adam with the global
gradient norm clipped to 5, batches of windows from the corpus's training files (those the
split file does not name for validation). Tokens here are onset pitches (the commonest
vocab - 1, the rest mapped to one), which cost the same to train on as DeepMIDI's own.

Install: python3 -m venv venv && venv/bin/pip install tensorflow-cpu mido
Prints one JSON line: {"tokens_per_second": ..., ...}.
"""
import argparse
import collections
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mido  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

def corpus_pitches(corpus, split, length):
    """Onset pitches of each training file, in time order."""
    validation = set()
    if split:
        base = os.path.dirname(os.path.abspath(split))
        with open(split) as f:
            validation = {os.path.realpath(os.path.join(base, n)) for n in json.load(f)["validation"]}
    pieces = []
    for root, _, files in sorted(os.walk(corpus)):
        for name in sorted(files):
            path = os.path.realpath(os.path.join(root, name))
            if not name.lower().endswith((".mid", ".midi")) or path in validation:
                continue
            try:
                midi = mido.MidiFile(path)
            except Exception:  # noqa: BLE001 - a file the reader rejects is skipped, as in DeepMIDI
                continue
            pieces.append([m.note for m in midi if m.type == "note_on" and m.velocity > 0])
    return [p for p in pieces if len(p) > length + 1]


def windows(pieces, vocab, length, count, rng):
    common = [p for p, _ in collections.Counter(x for p in pieces for x in p).most_common(vocab - 1)]
    index = {p: i + 1 for i, p in enumerate(common)}
    tokens = [np.array([index.get(x, 0) for x in p], dtype=np.int32) for p in pieces]
    out = np.empty((count, length + 1), dtype=np.int32)
    for row in out:
        piece = tokens[rng.integers(len(tokens))]
        start = rng.integers(len(piece) - length)
        row[:] = piece[start : start + length + 1]
    return out


def network(vocab, units, layers, embedding, dropout, learning_rate):
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(vocab, embedding)])
    for layer in range(layers):
        if layer > 0 and dropout > 0:
            model.add(keras.layers.Dropout(dropout))
        model.add(keras.layers.LSTM(units, return_sequences=True))
    model.add(keras.layers.Dense(vocab))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate, global_clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = os.path.join(here, "..", "..", "shared", "corpus")
    ap.add_argument("--corpus", default=os.path.join(shared, "irish"), help="folder of MIDI files")
    ap.add_argument("--split", default=os.path.join(shared, "split.json"), help="its split.json")
    ap.add_argument("--vocab", type=int, default=32)
    ap.add_argument("--learning-rate", type=float, default=3e-3)
    ap.add_argument("--units", type=int, default=128)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--embedding", type=int, default=64)
    ap.add_argument("--dropout", type=float, default=0.2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--length", type=int, default=64)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()

    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    pieces = corpus_pitches(a.corpus, a.split, a.length)
    data = windows(pieces, a.vocab, a.length, a.batch * (a.steps + a.warmup), rng)
    x, y = data[:, :-1], data[:, 1:]
    model = network(a.vocab, a.units, a.layers, a.embedding, a.dropout, a.learning_rate)
    warm = a.batch * a.warmup
    # The first steps trace and compile the graph; they are not timed.
    model.fit(x[:warm], y[:warm], batch_size=a.batch, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(x[warm:], y[warm:], batch_size=a.batch, epochs=1, shuffle=False, verbose=0)
    secs = time.perf_counter() - start
    print(json.dumps({
        "tokens_per_second": a.steps * a.batch * a.length / secs,
        "vocab": a.vocab,
        "units": a.units,
        "layers": a.layers,
        "steps": a.steps,
        "training_files": len(pieces),
        "tensorflow": tf.__version__,
        "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                    tf.config.threading.get_inter_op_parallelism_threads()],
    }))


if __name__ == "__main__":
    main()
