#!/usr/bin/env bash
# Start-up benchmark (prints figures, asserts nothing): seconds from `runtime/jgan run` to the end of the first
# training iteration (its progress line) and the size of the process's Felix cache, started from the laid-out folder
# target/jgan (how runtime/jgan starts after a build) and from target/jgan.jar itself (how it started before).
#   runtime/src/test/sh/startup-benchmark.sh [N]     N starts of each (default 5); medians and ranges
#   runtime/src/test/sh/startup-benchmark.sh N OTHER
#       instead of the jar, OTHER's laid-out runtime (the runtime/ folder of another built checkout, e.g. a git
#       worktree of an earlier commit after mvn -B package -DskipTests), started in turn with this one: starts are
#       noisy on a shared machine, so two builds are compared start by start, not run after run
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
n="${1:-5}"
other="${2:+$(cd "$2" && pwd)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"; [ ! -f "$work.from" ] || mv "$work.from" "$here/target/jgan/.from"' EXIT
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
cd "$work"

# one_start [RUNTIME]: seconds to the first progress line, then the Felix cache's size in MB (RUNTIME: the runtime/
# folder whose jgan script starts it; this one by default)
one_start() {
    local t0 first="" line jgan="${1:-$here}/jgan"
    t0=$(date +%s%N)
    while IFS= read -r line; do
        if [ -z "$first" ] && [[ "$line" == *"RUNNING   it 1/"* ]]; then
            first=$(date +%s%N)
        fi
    done < <("$jgan" run default name="s$RANDOM$RANDOM" iterations=1 progressInterval=1 sampleInterval=0 2>&1)
    [ -n "$first" ] || { echo "no progress line" >&2; exit 1; }
    echo "$(( (first - t0) / 1000000 )) $(du -sm "$TMPDIR"/jgan-felix-* | cut -f1)"
    rm -rf "$TMPDIR"/jgan-felix-* runs
}

report() {
    local label=$1; shift
    sort -n <<<"$(printf '%s\n' "$@")" | awk -v label="$label" '{ t[NR] = $1; m = $2 }
        END { printf "%s: first iteration after %.2f s (median of %d; %.2f to %.2f), Felix cache %d MB\n",
              label, t[int((NR + 1) / 2)] / 1000, NR, t[1] / 1000, t[NR] / 1000, m }'
}

[ -f "$here/target/jgan/.from" ] || { echo "build first (mvn -B install -DskipTests)" >&2; exit 2; }
"$here/jgan" exec 'gan:presets' > /dev/null 2>&1 || true   # warms the file cache and ~/.javacpp/cache
[ -z "$other" ] || "$other/jgan" exec 'gan:presets' > /dev/null 2>&1 || true
folder=(); jar=(); others=()
[ -z "$other" ] || [ -f "$other/target/jgan/.from" ] || { echo "$other: not a built runtime/ folder" >&2; exit 2; }
for _ in $(seq 1 "$n"); do
    folder+=("$(one_start)")
    if [ -n "$other" ]; then
        others+=("$(one_start "$other")")
        continue
    fi
    mv "$here/target/jgan/.from" "$work.from"
    jar+=("$(one_start)")
    mv "$work.from" "$here/target/jgan/.from"
done
echo "$(nproc) cores, $(grep -m 1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
report "from target/jgan (laid out)" "${folder[@]}"
if [ -n "$other" ]; then
    report "$other, in turn" "${others[@]}"
else
    report "from target/jgan.jar       " "${jar[@]}"
fi
