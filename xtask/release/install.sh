#!/bin/sh
# Installs DeepMIDI from this unpacked release folder, without Rust or a compiler.
#
#   ./install.sh              for you: ~/.clap, ~/.vst3, ~/.local/bin, ~/.local/share/deepmidi
#   sudo ./install.sh --system
#                             for everyone: /usr/lib/clap, /usr/lib/vst3, /usr/local/bin,
#                             /usr/local/share/deepmidi
#   ./install.sh --uninstall  removes what the install put there (add --system for that one)
#
# Every file and folder the install creates is written to a list (installed.txt beside the
# models), and --uninstall removes exactly those, so folders that were there before stay.
# Nothing is touched unless every folder can be written.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
system=no
uninstall=no
for arg in "$@"; do
    case "$arg" in
        --system) system=yes ;;
        --uninstall) uninstall=yes ;;
        -h|--help)
            sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "install.sh: unknown option '$arg' (try --help)" >&2
            exit 2
            ;;
    esac
done

if [ "$system" = yes ]; then
    clap_dir=/usr/lib/clap
    vst3_dir=/usr/lib/vst3
    bin_dir=/usr/local/bin
    share_dir=/usr/local/share/deepmidi
    how="run it as root: sudo ./install.sh --system"
else
    if [ -z "${HOME:-}" ]; then
        echo "install.sh: HOME is not set" >&2
        exit 1
    fi
    clap_dir=$HOME/.clap
    vst3_dir=$HOME/.vst3
    bin_dir=$HOME/.local/bin
    share_dir=${XDG_DATA_HOME:-$HOME/.local/share}/deepmidi
    how="make it writable, or install for everyone with: sudo ./install.sh --system"
fi
# The models for `deepmidi generate --model`. Not under share_dir/models: the plugin lists
# that folder as the user's own models, and these are built into it already.
models_dir=$share_dir/shipped-models
record=$share_dir/installed.txt

if [ "$uninstall" = yes ]; then
    if [ ! -f "$record" ]; then
        echo "install.sh: nothing to uninstall: $record is missing"
        exit 0
    fi
    # Newest first, so that files go before the folders that hold them.
    entries=$(awk '{ line[NR] = $0 } END { for (i = NR; i > 0; i--) print line[i] }' "$record")
    rm -f "$record"
    echo "$entries" | while IFS= read -r entry; do
        kind=${entry%% *}
        path=${entry#* }
        case "$kind" in
            file) rm -rf "$path" && echo "removed $path" ;;
            # A folder install.sh created goes only if nothing else was put in it since.
            dir) rmdir "$path" 2>/dev/null && echo "removed $path" || true ;;
        esac
    done
    exit 0
fi

for f in DeepMIDI.clap DeepMIDI.vst3 deepmidi models; do
    if [ ! -e "$here/$f" ]; then
        echo "install.sh: $here/$f is missing: unpack the whole archive and run install.sh from it" >&2
        exit 1
    fi
done

# The nearest folder that exists at or above $1.
existing() {
    d=$1
    while [ ! -d "$d" ]; do d=$(dirname "$d"); done
    echo "$d"
}

# Refuses before anything is copied when one of the folders (or the folder it would be made
# in) cannot be written. A trial file rather than `test -w`, which root always passes even on
# a read-only file system.
for dir in "$clap_dir" "$vst3_dir" "$bin_dir" "$share_dir"; do
    at=$(existing "$dir")
    probe="$at/.deepmidi-install-probe.$$"
    if ! (: >"$probe") 2>/dev/null; then
        echo "install.sh: cannot write to $at (for $dir): $how" >&2
        exit 1
    fi
    rm -f "$probe"
done

# What this install made, one "file PATH" or "dir PATH" a line, in the order it made them.
made=""
note() {
    made="$made$1
"
}

# Creates $1 and its missing parents, noting each one it made.
make_dir() {
    missing=""
    d=$1
    while [ ! -d "$d" ]; do
        missing="$d
$missing"
        d=$(dirname "$d")
    done
    old_ifs=$IFS
    IFS='
'
    for m in $missing; do
        mkdir "$m"
        note "dir $m"
    done
    IFS=$old_ifs
}

# Copies $1 to $2, replacing an earlier install, and notes it.
put() {
    rm -rf "$2"
    cp -R "$1" "$2"
    note "file $2"
    echo "installed $2"
}

for dir in "$clap_dir" "$vst3_dir" "$bin_dir" "$models_dir"; do
    make_dir "$dir"
done
put "$here/DeepMIDI.clap" "$clap_dir/DeepMIDI.clap"
put "$here/DeepMIDI.vst3" "$vst3_dir/DeepMIDI.vst3"
put "$here/deepmidi" "$bin_dir/deepmidi"
chmod 755 "$bin_dir/deepmidi"
for model in "$here"/models/*; do
    put "$model" "$models_dir/$(basename "$model")"
done
# Installing again over an earlier install keeps the folders that one made, so that
# --uninstall still removes them.
{
    if [ -f "$record" ]; then grep '^dir ' "$record" || true; fi
    printf '%s' "$made"
} >"$record.new"
mv "$record.new" "$record"

echo
echo "DeepMIDI is installed. Rescan plugins in your DAW to find it."
case ":$PATH:" in
    *":$bin_dir:"*) ;;
    *) echo "Add $bin_dir to your PATH to run deepmidi." ;;
esac
echo "Try: deepmidi generate --model $models_dir/irish -o tune.mid"
