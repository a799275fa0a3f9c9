#!/usr/bin/env bash
# The clean-room check of `cargo xtask package --check`, as root: a fresh Debian 11 root
# (glibc 2.31, no Rust, no compiler) made with debootstrap from Debian's packages; there
#   - the .deb goes in with apt-get, so its declared dependencies must be enough,
#   - ldd resolves every library of the plugins and the command, and the libraries the
#     window opens at run time are found,
#   - `deepmidi generate` writes a MIDI file with a shipped model,
#   - the archive's install.sh installs into a temporary HOME, the installed command runs,
#     and --uninstall leaves the HOME as it was,
#   - pedalboard (from pip) loads the installed VST3 and renders with it.
#
# usage: cleanroom.sh WORK DEB ARCHIVE ARCHIVE_STEM VERSION "SONAMES" PEDALBOARD_CHECK
# WORK keeps the debootstrapped root as a tarball, so that later runs only unpack it.
set -euo pipefail
work=$1 deb=$2 archive=$3 stem=$4 version=$5 sonames=$6 pedalboard_check=$7
suite=bullseye

if [ "$(id -u)" -ne 0 ]; then
    echo "cleanroom.sh: debootstrap and chroot need root" >&2
    exit 1
fi
if ! command -v debootstrap >/dev/null; then
    echo "cleanroom.sh: debootstrap is missing: apt-get install debootstrap" >&2
    exit 1
fi

mkdir -p "$work"
root=$work/root
cache=$work/$suite-minbase.tar
mounts=()
cleanup() {
    local i
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
        umount -l "${mounts[i]}" 2>/dev/null || true
    done
}
trap cleanup EXIT INT TERM

if [ ! -f "$cache" ]; then
    echo "== debootstrap $suite (minbase), kept as $cache"
    rm -rf "$work/bootstrap"
    debootstrap --variant=minbase "$suite" "$work/bootstrap" >"$work/debootstrap.log" 2>&1 || {
        tail -20 "$work/debootstrap.log" >&2
        exit 1
    }
    tar -C "$work/bootstrap" -cf "$cache.part" .
    mv "$cache.part" "$cache"
    rm -rf "$work/bootstrap"
fi
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$cache"

mount -t proc proc "$root/proc"
mounts+=("$root/proc")
cp /etc/resolv.conf "$root/etc/resolv.conf"
# pip in the root trusts the certificate authorities this machine trusts (a network that
# inspects TLS adds its own), and goes through the same proxy or index, if it has one.
host_ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
pip_env=()
if [ -f "$host_ca" ]; then
    cp "$host_ca" "$root/etc/host-ca-certificates.crt"
    pip_env+=(PIP_CERT=/etc/host-ca-certificates.crt)
fi
for var in PIP_INDEX_URL PIP_EXTRA_INDEX_URL http_proxy https_proxy HTTP_PROXY HTTPS_PROXY no_proxy; do
    if [ -n "${!var:-}" ]; then pip_env+=("$var=${!var}"); fi
done
mkdir -p "$root/check"
cp "$deb" "$archive" "$pedalboard_check" "$root/check/"

in_root() {
    chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin \
        HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

in_root bash -euo pipefail -c '
    deb=/check/$(basename "$1") archive=/check/$(basename "$2") stem=$3 version=$4 sonames=$5

    echo "== the root: $(. /etc/os-release; echo "$PRETTY_NAME"), $(ldd --version | head -1)"
    for tool in cargo rustc cc gcc; do
        if command -v "$tool" >/dev/null; then
            echo "the clean root has $tool" >&2
            exit 1
        fi
    done

    echo "== apt-get install $deb"
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "$deb"

    echo "== ldd"
    for elf in /usr/bin/deepmidi /usr/lib/clap/DeepMIDI.clap \
        /usr/lib/vst3/DeepMIDI.vst3/Contents/x86_64-linux/DeepMIDI.so; do
        echo "$elf:"
        ldd "$elf" | sed "s/^/    /"
        if ldd "$elf" | grep -q "not found"; then
            echo "ldd: $elf has libraries that are not found" >&2
            exit 1
        fi
    done
    echo "== the libraries the window opens"
    for so in $sonames; do
        found=$(ldconfig -p | grep -F "$so " | head -1)
        if [ -z "$found" ]; then
            echo "$so is not installed: the .deb must depend on its package" >&2
            exit 1
        fi
        echo "   $found"
    done

    echo "== deepmidi"
    deepmidi --version
    deepmidi --version | grep -qx "deepmidi $version"
    deepmidi generate --model /usr/share/deepmidi/shipped-models/irish --notes 64 --seed 1 \
        -o /tmp/generated.mid
    size=$(stat -c %s /tmp/generated.mid)
    head -c 4 /tmp/generated.mid | grep -q MThd
    echo "wrote /tmp/generated.mid ($size bytes)"

    echo "== the archive and install.sh in a temporary HOME"
    unpack=$(mktemp -d)
    tar -C "$unpack" -xzf "$archive"
    home=$(mktemp -d)
    HOME=$home sh "$unpack/$stem/install.sh"
    HOME=$home "$home/.local/bin/deepmidi" --version
    test -f "$home/.clap/DeepMIDI.clap"
    test -f "$home/.vst3/DeepMIDI.vst3/Contents/x86_64-linux/DeepMIDI.so"
    HOME=$home sh "$unpack/$stem/install.sh" --uninstall
    if [ -n "$(ls -A "$home")" ]; then
        echo "install.sh --uninstall left:" >&2
        find "$home" >&2
        exit 1
    fi
    echo "install.sh --uninstall left the HOME empty"
' check "$deb" "$archive" "$stem" "$version" "$sonames"

echo "== pedalboard (pip) and the installed VST3"
in_root "${pip_env[@]}" bash -euo pipefail -c '
    # libatomic1: a library pedalboard needs, not DeepMIDI.
    apt-get install -y -q --no-install-recommends python3-pip libatomic1 >/dev/null 2>&1
    python3 -m pip install -q --no-warn-script-location pedalboard
    python3 /check/pedalboard_check.py /usr/lib/vst3/DeepMIDI.vst3
'
echo "== the clean-room check passed"
