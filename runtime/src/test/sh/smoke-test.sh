#!/usr/bin/env bash
# Smoke test of the shipped runtime (target/jgan.jar through the runtime/jgan script), run by `mvn verify` after
# the export: the headless commands the README documents, their exit statuses and their errors on bad input.
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
jgan="$here/jgan"
work="$here/target/smoke"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
failures=0

# check NAME EXPECTED_STATUS PATTERN COMMAND...: the command exits with EXPECTED_STATUS and prints PATTERN
check() {
    local name=$1 expected=$2 pattern=$3 status=0
    shift 3
    "$@" > "$name.out" 2>&1 || status=$?
    if [ "$status" -ne "$expected" ]; then
        echo "smoke: $name: exit status $status, expected $expected; output in $work/$name.out" >&2
        tail -n 20 "$name.out" >&2
        failures=$((failures + 1))
    elif ! grep -q -- "$pattern" "$name.out"; then
        echo "smoke: $name: output lacks '$pattern'; output in $work/$name.out" >&2
        tail -n 20 "$name.out" >&2
        failures=$((failures + 1))
    else
        echo "smoke: $name: ok"
    fi
}

check components 0 "nonsaturating" "$jgan" exec 'gan:components loss'
check presets 0 "dcgan-fashion" "$jgan" exec 'gan:presets'
check unknown-command 1 "gan:nosuch" "$jgan" exec 'gan:nosuch'
check invalid-setting 2 "option 'lrG' has value '-1'" "$jgan" run default name=bad lrG=-1
check unknown-loss 2 "unknown loss 'no-such-loss'" "$jgan" run default name=bad2 loss=no-such-loss
# a second run started at the same moment from the same folder (each JVM has its own Felix cache)
"$jgan" run default name=twin iterations=40 sampleInterval=0 progressInterval=1 > twin.out 2>&1 &
twin=$!
check train 0 "run smoke COMPLETED it 40/40" "$jgan" run default name=smoke iterations=40 sampleInterval=20 \
    progressInterval=1 checkpointInterval=20
twin_status=0
wait "$twin" || twin_status=$?
if [ "$twin_status" -eq 0 ] && grep -q '"state": "COMPLETED"' runs/twin/status.json 2>/dev/null; then
    echo "smoke: concurrent: ok"
else
    echo "smoke: concurrent: the run started beside 'smoke' ended with status $twin_status; output in $work/twin.out" >&2
    tail -n 20 twin.out >&2
    failures=$((failures + 1))
fi
for f in status.json config.json losses.csv samples checkpoints/checkpoint.zip; do
    if [ ! -e "runs/smoke/$f" ]; then
        echo "smoke: train: runs/smoke/$f missing" >&2
        failures=$((failures + 1))
    fi
done
# the completed run is scored from its checkpoint
check evaluate 0 "evaluation of run smoke at iteration 40" "$jgan" exec 'gan:evaluate runs/smoke'

# Ctrl-C / SIGTERM: the run stops at an iteration boundary with its checkpoint and status.json saved
"$jgan" run default name=interrupted iterations=1000000 sampleInterval=0 progressInterval=1 > interrupted.out 2>&1 &
pid=$!
for _ in $(seq 1 240); do
    grep -q "RUNNING   it" interrupted.out && break
    sleep 0.5
done
kill -TERM "$pid"
wait "$pid" || true
if grep -q '"state": "STOPPED"' runs/interrupted/status.json 2>/dev/null && [ -f runs/interrupted/checkpoints/checkpoint.zip ] \
        && grep -q "jgan: interrupted; run interrupted STOPPED" interrupted.out; then
    echo "smoke: interrupted: ok"
else
    echo "smoke: interrupted: no STOPPED status.json and checkpoint after SIGTERM; output in $work/interrupted.out" >&2
    tail -n 20 interrupted.out >&2
    failures=$((failures + 1))
fi

# the experiment scripts' results files: a rerun renews the tables and keeps the text written by hand below the mark
(
    . "$here/experiments/common.sh"
    echo "| old table |" | write_results results.md
    printf '\nhow the runs were made\n\n## what they show\n' >> results.md
    echo "| new table |" | write_results results.md
    echo "| newer table |" | write_results results.md
) > write-results.out 2>&1 || true
expected=$(printf '| newer table |\n\n%s\n\nhow the runs were made\n\n## what they show' \
    "$(grep -h '^NOTES_MARK=' "$here/experiments/common.sh" | sed "s/^NOTES_MARK='//; s/'\$//")")
if [ "$(cat results.md 2>/dev/null)" = "$expected" ]; then
    echo "smoke: write-results: ok"
else
    echo "smoke: write-results: results.md is not the new table above the hand-written text; see $work/results.md" >&2
    cat write-results.out >&2
    failures=$((failures + 1))
fi

if [ "$failures" -gt 0 ]; then
    echo "smoke: $failures check(s) failed" >&2
    exit 1
fi
echo "smoke: all checks passed"
