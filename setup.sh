#!/usr/bin/env bash
# Sets DeepMIDI up on a fresh Debian or Ubuntu machine that has the Rust toolchain:
# installs the Debian packages it uses, builds it, installs the CLAP and VST3 plugins for
# this user, and writes a demo (demo.mid, demo.wav, demo.png) from the shipped Irish model.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v cargo >/dev/null; then
    echo "setup.sh: cargo not found: install Rust first (https://rustup.rs), then run this again" >&2
    exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
fi

echo "== Installing Debian packages"
# build-essential, pkg-config: building; fonts-dejavu-core: text in the pictures;
# fluid-soundfont-gm: the piano the .wav is played on; sox: to play and measure it;
# python3-pip: for pedalboard, which one of the tests loads the plugin with;
# ardour: the real DAW (Ardour 7, run headless with ardour7-lua) one of the tests plays it in.
# The plugin's window loads X11 and OpenGL when it opens (building needs neither):
# libx11-6, libx11-xcb1, libxcb1: the X11 connection; libxkbcommon0, libxkbcommon-x11-0: the
# keyboard; libgl1, libglx-mesa0, libegl1, libegl-mesa0: OpenGL (GLX and EGL); libgl1-mesa-dri:
# Mesa's drivers, the software one included; xvfb: the hidden X server a test opens it in.
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    build-essential pkg-config fonts-dejavu-core fluid-soundfont-gm sox python3-pip ardour \
    libx11-6 libx11-xcb1 libxcb1 libxkbcommon0 libxkbcommon-x11-0 \
    libgl1 libglx-mesa0 libegl1 libegl-mesa0 libgl1-mesa-dri xvfb
# Debian's own Python refuses pip installs outside a virtual environment unless told otherwise.
# The first try's refusal (PEP 668) is expected there and kept off the screen.
if ! python3 -c 'import pedalboard' 2>/dev/null; then
    python3 -m pip install --quiet --no-warn-script-location pedalboard 2>/dev/null \
        || python3 -m pip install --quiet --no-warn-script-location --break-system-packages pedalboard
fi

echo "== Building (release)"
cargo build --release -p deepmidi-cli
cargo xtask bundle deepmidi-plugin --release
# The debug CLAP with allocation checks that one of the tests loads (target/alloc-check/).
cargo xtask bundle-alloc-check
# The debug CLAP and VST3 that panic on a note, for the panic_check test (target/panic-check/).
cargo xtask bundle-panic-check

echo "== Installing the plugins"
mkdir -p "$HOME/.clap" "$HOME/.vst3"
for bundle in DeepMIDI.clap:.clap DeepMIDI.vst3:.vst3; do
    name="${bundle%%:*}"
    folder="$HOME/${bundle##*:}"
    if [ ! -e "target/bundled/$name" ]; then
        echo "setup.sh: target/bundled/$name was not built" >&2
        exit 1
    fi
    rm -rf "${folder:?}/$name"
    cp -r "target/bundled/$name" "$folder/"
    echo "installed $folder/$name"
done

echo "== Writing the demo"
target/release/deepmidi generate --model models/irish --notes 200 --temperature 0.9 --seed 1 \
    -o demo.mid --wav demo.wav --piano-roll demo.png

cat <<DONE

Done.
  demo.mid  open it in any sequencer or DAW
  demo.wav  listen: play demo.wav
  demo.png  the piano roll
The plugins are in ~/.clap and ~/.vst3: rescan plugins in your DAW to find DeepMIDI.
Check everything with: cargo test --workspace --release
DONE
