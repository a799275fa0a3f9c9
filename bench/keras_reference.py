#!/usr/bin/env python3
"""Reference training throughput: the seed's network in Keras on TensorFlow (CPU).

`deepmidi bench --keras PYTHON` runs this script and compares the figure it prints with its
own, in the same run. The network, sizes, batch, optimiser and corpus are DeepMIDI's
defaults: embedding 64, LSTM layers with dropout between them, a dense head over the
vocabulary, Adam at 1e-3 with the global gradient norm clipped to 5, batches of 32 windows of
64 tokens from the training split. Tokens here are pitches (the 31 commonest, the rest mapped
to one), which costs the same to train on as DeepMIDI's own encoding.

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

VOCAB = 32


def corpus_pitches(corpus, subset):
    """Onset pitches of each training-split file of `subset`, in time order."""
    with open(os.path.join(corpus, "split.json")) as f:
        names = [n for n in json.load(f)["train"] if n.startswith(subset + "/")]
    pieces = []
    for name in names:
        try:
            midi = mido.MidiFile(os.path.join(corpus, name))
        except Exception:  # noqa: BLE001 - a file the reader rejects is skipped, as in DeepMIDI
            continue
        pieces.append([m.note for m in midi if m.type == "note_on" and m.velocity > 0])
    return [p for p in pieces if len(p) > 65]


def windows(pieces, length, count, rng):
    common = [p for p, _ in collections.Counter(x for p in pieces for x in p).most_common(VOCAB - 1)]
    index = {p: i + 1 for i, p in enumerate(common)}
    tokens = [np.array([index.get(x, 0) for x in p], dtype=np.int32) for p in pieces]
    out = np.empty((count, length + 1), dtype=np.int32)
    for row in out:
        piece = tokens[rng.integers(len(tokens))]
        start = rng.integers(len(piece) - length)
        row[:] = piece[start : start + length + 1]
    return out


def network(units, layers, embedding, dropout):
    model = keras.Sequential([keras.Input((None,), dtype="int32"), keras.layers.Embedding(VOCAB, embedding)])
    for layer in range(layers):
        if layer > 0 and dropout > 0:
            model.add(keras.layers.Dropout(dropout))
        model.add(keras.layers.LSTM(units, return_sequences=True))
    model.add(keras.layers.Dense(VOCAB))
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(here, "..", "..", "shared", "corpus"))
    ap.add_argument("--subset", default="irish")
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
    data = windows(corpus_pitches(a.corpus, a.subset), a.length, a.batch * (a.steps + a.warmup), rng)
    x, y = data[:, :-1], data[:, 1:]
    model = network(a.units, a.layers, a.embedding, a.dropout)
    warm = a.batch * a.warmup
    # The first steps trace and compile the graph; they are not timed.
    model.fit(x[:warm], y[:warm], batch_size=a.batch, epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(x[warm:], y[warm:], batch_size=a.batch, epochs=1, shuffle=False, verbose=0)
    secs = time.perf_counter() - start
    print(json.dumps({
        "tokens_per_second": a.steps * a.batch * a.length / secs,
        "units": a.units,
        "layers": a.layers,
        "steps": a.steps,
        "tensorflow": tf.__version__,
        "threads": [tf.config.threading.get_intra_op_parallelism_threads(),
                    tf.config.threading.get_inter_op_parallelism_threads()],
    }))


if __name__ == "__main__":
    main()
