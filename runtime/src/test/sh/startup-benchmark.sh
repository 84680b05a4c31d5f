#!/usr/bin/env bash
# Start-up benchmark (prints figures, asserts nothing): seconds from `runtime/jgan run` to the end of the first
# training iteration (its progress line), the CPU time the process had used by then (user and system, from
# /proc/PID/stat: a start on 2 cores is bound by their time, so this moves less with the machine's speed than the
# seconds do) and the size of the process's Felix cache, started from the laid-out folder target/jgan (how
# runtime/jgan starts after a build) and from target/jgan.jar itself (how it started before).
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

ticks=$(getconf CLK_TCK)

# one_start [RUNTIME]: milliseconds to the first progress line, the process's CPU time then in milliseconds, and the
# Felix cache's size in MB (RUNTIME: the runtime/ folder whose jgan script starts it; this one by default)
one_start() {
    local t0 first="" cpu="" line pid fd jgan="${1:-$here}/jgan"
    t0=$(date +%s%N)
    exec {fd}< <("$jgan" run default name="s$RANDOM$RANDOM" iterations=1 progressInterval=1 sampleInterval=0 2>&1)
    pid=$!    # the JVM: runtime/jgan execs java
    while IFS= read -r line <&"$fd"; do
        if [ -z "$first" ] && [[ "$line" == *"RUNNING   it 1/"* ]]; then
            first=$(date +%s%N)
            # utime and stime, the 14th and 15th fields (the 2nd, the command's name, has no spaces here)
            cpu=$(awk -v hz="$ticks" '{ printf "%d", ($14 + $15) * 1000 / hz }' "/proc/$pid/stat" 2>/dev/null || true)
        fi
    done
    exec {fd}<&-
    [ -n "$first" ] || { echo "no progress line" >&2; exit 1; }
    echo "$(( (first - t0) / 1000000 )) ${cpu:-0} $(du -sm "$TMPDIR"/jgan-felix-* | cut -f1)"
    rm -rf "$TMPDIR"/jgan-felix-* runs
}

report() {
    local label=$1; shift
    local times cpus mb
    times=$(printf '%s\n' "$@" | cut -d' ' -f1 | sort -n | tr '\n' ' ')
    cpus=$(printf '%s\n' "$@" | cut -d' ' -f2 | sort -n | tr '\n' ' ')
    mb=$(printf '%s\n' "$@" | tail -n 1 | cut -d' ' -f3)
    awk -v label="$label" -v times="$times" -v cpus="$cpus" -v mb="$mb" \
        'BEGIN { n = split(times, t, " "); split(cpus, c, " "); k = int((n + 1) / 2)
                 printf "%s: first iteration after %.2f s (median of %d; %.2f to %.2f), CPU time at it %.2f s " \
                        "(median), Felix cache %d MB\n", label, t[k] / 1000, n, t[1] / 1000, t[n] / 1000,
                        c[k] / 1000, mb }'
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
