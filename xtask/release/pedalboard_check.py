#!/usr/bin/env python3
"""The installed VST3 in pedalboard, inside the clean-room root (`cargo xtask package --check`).

Loads the bundle as a DAW would, checks it is an instrument whose Model parameter offers the
built-in models (they are embedded in the library, so their names prove it loaded them), sets
a parameter, and renders a few seconds with a played phrase. pedalboard gives an
instrument's audio back but drops its MIDI output, and DeepMIDI's audio is silence, so the
notes themselves are checked by `deepmidi generate` here and by the host tests.

    python3 pedalboard_check.py /usr/lib/vst3/DeepMIDI.vst3
"""

import sys

import numpy as np
import pedalboard

SAMPLE_RATE = 48_000
SECONDS = 4.0


def main() -> int:
    plugin = pedalboard.load_plugin(sys.argv[1])
    print(f"loaded {plugin.name!r}, instrument: {plugin.is_instrument}")
    assert plugin.is_instrument, "pedalboard does not see an instrument"

    model = plugin.parameters["model"]
    models = [str(v) for v in model.valid_values]
    print(f"models: {models}")
    assert "irish" in models and "bach" in models, models

    plugin.temperature = 0.8
    assert abs(plugin.temperature - 0.8) < 0.011, plugin.temperature

    # A phrase played into the note input (middle C, E, G), as a keyboard would.
    phrase = []
    for i, key in enumerate([60, 64, 67]):
        phrase.append((bytes([0x90, key, 100]), 0.5 * i))
        phrase.append((bytes([0x80, key, 0]), 0.5 * i + 0.4))
    audio = plugin(phrase, duration=SECONDS, sample_rate=SAMPLE_RATE, num_channels=2)
    frames = int(SECONDS * SAMPLE_RATE)
    assert audio.shape == (2, frames), audio.shape
    assert np.all(np.isfinite(audio)) and np.all(audio == 0.0), "the output is not silence"
    print(f"rendered {frames} frames at {SAMPLE_RATE} Hz: the plugin played")
    return 0


if __name__ == "__main__":
    sys.exit(main())
