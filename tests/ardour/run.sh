#!/bin/bash
# Run DeepMIDI (VST3) headlessly in Ardour 7 (Debian's ardour7-lua), record its MIDI output
# on a second track and write every recorded note to a text file.
#
#   run.sh [options]
#     --bpm N            tempo (default 120); 4/4 from beat 0
#     --buffer N         engine buffer size in samples (default 1024)
#     --rate N           sample rate (default 48000)
#     --bars N           bars to play (default 16; ignored with --loop)
#     --start BEAT       roll from this session beat instead of 0 (no effect with --loop)
#     --param Name=Value DeepMIDI parameter by its label (repeatable), plain values:
#                        Temperature=1.2  Seed=42  "MIDI Channel=3"  "Sync to Bar=1"
#                        Model=irish (name) or Model=1 (index)
#     --loop S:E:N       loop range from beat S to beat E (session beats, beat 0 = start),
#                        played N times (Ardour 7.3 starts a looped roll at the loop start);
#                        every pass is recorded as its own region ("take")
#     --locate AT:TO     once AT beats have been played, locate (rolling) to beat TO; implies
#                        --no-record (Ardour 7.3 drops a MIDI take cut by a locate): the notes
#                        then come from the tap only ("tapnote" lines)
#     --record / --no-record   force recording on track Rec on/off
#     --phrase SPEC      a MIDI region on track Gen plays these notes into DeepMIDI:
#                        "ONSET:LENGTH:PITCH,..." in session beats (channel 1, velocity 100);
#                        made from a short take recorded first (not with --loop); the region's
#                        notes are written as "phrase" lines
#     --tap-input        put the tap right before DeepMIDI: it logs what the plugin hears
#     --out FILE         note list (default: ./capture.txt)
#     --plugin PATH      DeepMIDI.vst3 bundle (default: $DEEPMIDI_VST3 or
#                        target/bundled/DeepMIDI.vst3 of this checkout)
#     --keep             keep the temporary folder (session, logs) and print its path
#     --no-tap           do not insert the Lua tap (the stop is then polled from Lua: later
#                        by a few cycles, not repeatable; not with --loop/--locate)
#     --cycles           also write the tap's per-cycle log ("cycle" lines)
#     --timeout S        give up after S seconds (default 110)
#     --driver NAME      Dummy backend driver (default "10x Speed"; also "Normal Speed", "20x Speed"...)
# Environment: DEEPMIDI_MODELS_DATA_HOME  used as XDG_DATA_HOME for the plugin (user
#              models in $DEEPMIDI_MODELS_DATA_HOME/deepmidi/models/<name>/); default: empty
#              private folder, so only the built-in models exist.
#              DEEPMIDI_BUILTIN_MODELS    built-in model names in plugin order (default "bach irish")
#              NICE_LOG                   plugin log file (default: <tmp>/nice.log, shown on failure)
#              ARDOUR_TEST_TMPDIR                 parent of the temporary folder (default: /tmp)
#              ARDOUR_TEST_PLUGIN_DIR_MODE=vst3_path   put the bundle in <tmp>/vst3 and point VST3_PATH
#                                         there instead of using <tmp>/home/.vst3
# Exit status: 0 ok; 2 usage; 3 Ardour/Lua step failed; 4 scan failed; 124 timeout.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BPM=120 BUFFER=1024 RATE=48000 BARS=16 LOOP="" LOCATE="" OUT="$PWD/capture.txt"
PLUGIN="${DEEPMIDI_VST3:-$HERE/../../target/bundled/DeepMIDI.vst3}"
KEEP=0 TAP=1 CYCLES=0 TIMEOUT=110 PARAMS="" RECORD="" PHRASE="" TAP_INPUT=0

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bpm) BPM="$2"; shift 2;;
    --buffer) BUFFER="$2"; shift 2;;
    --rate) RATE="$2"; shift 2;;
    --bars) BARS="$2"; shift 2;;
    --start) export ARDOUR_TEST_START="$2"; shift 2;;
    --param) PARAMS="${PARAMS:+$PARAMS;}$2"; shift 2;;
    --loop) LOOP="$2"; shift 2;;
    --locate) LOCATE="$2"; shift 2;;
    --out) OUT="$2"; shift 2;;
    --plugin) PLUGIN="$2"; shift 2;;
    --keep) KEEP=1; shift;;
    --no-tap) TAP=0; shift;;
    --phrase) PHRASE="$2"; shift 2;;
    --tap-input) TAP_INPUT=1; shift;;
    --record) RECORD=1; shift;;
    --no-record) RECORD=0; shift;;
    --cycles) CYCLES=1; shift;;
    --timeout) TIMEOUT="$2"; shift 2;;
    --driver) export ARDOUR_TEST_DRIVER="$2"; shift 2;;
    -h|--help) usage;;
    *) echo "unknown option $1" >&2; usage;;
  esac
done

[ -d "$PLUGIN" ] || { echo "no plugin bundle at $PLUGIN" >&2; exit 2; }
case "$OUT" in /*) ;; *) OUT="$PWD/$OUT";; esac

T0=$(date +%s.%N)
W="$(mktemp -d "${ARDOUR_TEST_TMPDIR:-/tmp}/deepmidi-ardour.XXXXXX")"
cleanup() {
  if [ "$KEEP" = 1 ]; then echo "kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

# Private HOME / XDG dirs: Ardour's config, plugin cache and the plugin's model search
# path all live in the temporary folder; nothing outside it is read or written.
export HOME="$W/home"
export XDG_CONFIG_HOME="$W/config" XDG_CACHE_HOME="$W/cache" XDG_STATE_HOME="$W/state"
export XDG_DATA_HOME="${DEEPMIDI_MODELS_DATA_HOME:-$W/data}"
export NICE_LOG="${NICE_LOG:-$W/nice.log}"
unset VST3_PATH
mkdir -p "$HOME/.vst3" "$XDG_CONFIG_HOME/ardour7/scripts" "$XDG_CACHE_HOME" "$W/data"
VST3_DIR="$HOME/.vst3"
if [ "${ARDOUR_TEST_PLUGIN_DIR_MODE:-}" = vst3_path ]; then
  VST3_DIR="$W/vst3"; mkdir -p "$VST3_DIR"; export VST3_PATH="$VST3_DIR"
fi

# 1. copy the bundle (it may be rebuilt under us) and date it a few seconds back: Ardour
#    only trusts a cache entry whose mtime is strictly newer (whole seconds) than the module.
cp -r "$PLUGIN" "$VST3_DIR/DeepMIDI.vst3"
find "$VST3_DIR/DeepMIDI.vst3" -exec touch -h -d '-5 seconds' {} +
cp "$HERE/tap.lua" "$XDG_CONFIG_HOME/ardour7/scripts/"

# 2. fill Ardour's VST3 cache (headless Ardour never scans by itself)
if ! LD_LIBRARY_PATH=/usr/lib/ardour7${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
     /usr/lib/ardour7/ardour-vst3-scanner -f "$VST3_DIR/DeepMIDI.vst3" >"$W/scan.log" 2>&1 \
   || ! grep -qs 'name="DeepMIDI"' "$XDG_CACHE_HOME"/ardour7/vst/*.v3i; then
  echo "VST3 scan failed:" >&2; cat "$W/scan.log" >&2; exit 4
fi

# model names in the plugin's order: built-ins, then user folders with a model.json, sorted
# bytewise; a user folder named like an earlier entry shows as "NAME (user)", "NAME (user 2)"...
read -r -a MODELS <<< "${DEEPMIDI_BUILTIN_MODELS:-bach irish}"
if [ -d "$XDG_DATA_HOME/deepmidi/models" ]; then
  while IFS= read -r d; do
    [ -f "$XDG_DATA_HOME/deepmidi/models/$d/model.json" ] || continue
    n="$d"; k=1
    while printf '%s\n' "${MODELS[@]}" | grep -qxF -- "$n"; do
      if [ $k = 1 ]; then n="$d (user)"; else n="$d (user $k)"; fi; k=$((k+1))
    done
    MODELS+=("$n")
  done < <(cd "$XDG_DATA_HOME/deepmidi/models" && LC_ALL=C ls -1)
fi

# 3. run the session script
export ARDOUR_TEST_SESSION_DIR="$W/session" ARDOUR_TEST_OUT="$W/capture.txt"
export ARDOUR_TEST_BPM="$BPM" ARDOUR_TEST_BUFFER="$BUFFER" ARDOUR_TEST_RATE="$RATE" ARDOUR_TEST_BARS="$BARS"
export ARDOUR_TEST_PARAMS="$PARAMS" ARDOUR_TEST_LOOP="$LOOP" ARDOUR_TEST_LOCATE="$LOCATE" ARDOUR_TEST_TAP="$TAP" ARDOUR_TEST_CYCLES="$CYCLES" ARDOUR_TEST_RECORD="$RECORD"
export ARDOUR_TEST_PHRASE="$PHRASE" ARDOUR_TEST_TAP_INPUT="$TAP_INPUT"
export ARDOUR_TEST_MODEL_NAMES="$(printf '%s|' "${MODELS[@]}")"
set +e
timeout -k 5 "$TIMEOUT" nice -n 10 /usr/bin/ardour7-lua "$HERE/session.lua" </dev/null >"$W/ardour.log" 2>&1
RC=$?
set -e
T1=$(date +%s.%N)
if [ $RC -ne 0 ] || ! grep -q '^ARDOUR-TEST-OK' "$W/ardour.log" || [ ! -s "$ARDOUR_TEST_OUT" ]; then
  echo "Ardour run failed (exit $RC); log:" >&2
  grep -v 'call slot' "$W/ardour.log" | tail -40 >&2
  [ -s "$NICE_LOG" ] && { echo "--- plugin log:" >&2; tail -20 "$NICE_LOG" >&2; }
  [ $RC -eq 124 ] && exit 124
  exit 3
fi
grep '^PARAM\|^ARDOUR-TEST:' "$W/ardour.log" | sed 's/^/# /' > "$W/params.txt"
{ cat "$ARDOUR_TEST_OUT"; cat "$W/params.txt"; printf '# wall time %.1f s\n' "$(awk "BEGIN{print $T1 - $T0}")"; } > "$OUT"
grep '^count\|^tapcount' "$OUT" || true
printf 'wall %.1f s, notes in %s\n' "$(awk "BEGIN{print $T1 - $T0}")" "$OUT"
