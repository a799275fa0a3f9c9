#!/usr/bin/env python3
"""DeepMIDI's VST3 bundle in Spotify's pedalboard (a JUCE-based host).

Loads the bundle, lists the `temperature` and `tempo_scale` parameters with their ranges,
sets them, and renders a few seconds with no MIDI input (the plugin is an instrument that
makes its own notes; its audio output is silence). Run by the Rust test
`pedalboard_renders_the_vst3` (tests/tests/pedalboard.rs), or directly:

    python3 tests/pedalboard_test.py [path/to/DeepMIDI.vst3]
"""

import pathlib
import sys

import numpy as np
import pedalboard

EXPECTED_RANGES = {"temperature": (0.0, 2.0), "tempo_scale": (0.25, 4.0)}
SAMPLE_RATE = 48_000
SECONDS = 3.0


def main() -> int:
    default = pathlib.Path(__file__).resolve().parent.parent / "target/bundled/DeepMIDI.vst3"
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    if not path.exists():
        print(f"{path} is missing: run `cargo xtask bundle deepmidi --release` first", file=sys.stderr)
        return 1

    plugin = pedalboard.load_plugin(str(path))
    assert plugin.is_instrument, "pedalboard does not see an instrument"

    for name, (low, high) in EXPECTED_RANGES.items():
        assert name in plugin.parameters, f"no {name} in {sorted(plugin.parameters)}"
        param = plugin.parameters[name]
        print(f"{name}: {param.min_value} .. {param.max_value} (now {param.string_value!r})")
        assert abs(param.min_value - low) < 1e-6 and abs(param.max_value - high) < 1e-6, (
            f"{name} range is {param.min_value}..{param.max_value}, expected {low}..{high}"
        )

    plugin.temperature = 1.2
    plugin.tempo_scale = 2.0
    assert abs(plugin.temperature - 1.2) < 0.011, plugin.temperature
    assert abs(plugin.tempo_scale - 2.0) < 0.011, plugin.tempo_scale
    print(f"set: temperature {plugin.temperature}, tempo_scale {plugin.tempo_scale}")

    audio = plugin([], duration=SECONDS, sample_rate=SAMPLE_RATE, num_channels=2)
    frames = int(SECONDS * SAMPLE_RATE)
    assert audio.shape == (2, frames), audio.shape
    assert np.all(audio == 0.0), "the output is not silent"
    print(f"rendered {audio.shape[1]} frames of silence")
    return 0


if __name__ == "__main__":
    sys.exit(main())
