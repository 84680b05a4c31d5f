#!/usr/bin/env bash
# Test of runtime/jgan sweep, run by `mvn verify` after the smoke test: a sweep of 4 short mixture runs and 2
# cross-tests between them trained through a real Slurm (a one-node cluster started here by slurm-cluster.sh, which installs slurm-wlm and munge when
# missing; needs root) and by the local launcher, with the same scores; an invalid cell refused before anything is
# submitted; a resubmission that trains only the run that is missing. Where Slurm cannot be had (not root, no
# apt-get) the Slurm part says so and is skipped, except under CI=true, where that is a failure.
set -euo pipefail
# the sweep's JVMs serve no dashboard
export JGAN_HTTP_PORT=off
here="$(cd "$(dirname "$0")/../../.." && pwd)"
jgan="$here/jgan"
cluster="$here/src/test/sh/slurm-cluster.sh"
work="$here/target/sweep-test"
rm -rf "$work"
mkdir -p "$work/local" "$work/slurm"
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
failures=0

fail() {
    echo "sweep-test: $*" >&2
    failures=$((failures + 1))
}

ok() {
    echo "sweep-test: $1: ok"
}

spec() {
    cat > "$1" <<'EOF'
{"name": "mini", "description": "The sweep test's grid: 2 methods x 2 seeds of 50 iterations.", "preset": "default",
 "settings": {"iterations": 50, "sampleInterval": 25, "checkpointInterval": 25, "metrics": "mixture",
              "progressInterval": 5},
 "grid": {"method": {"unreg": {}, "r1": {"regularizers": "r1", "regularizer.r1.gamma": 10}}},
 "seeds": 2,
 "crosstest": {"axis": "method", "pairs": [["unreg", "r1"]], "options": {"samples": 1000}},
 "table": {"metrics": ["mixture.modes", "mixture.high_quality"]}}
EOF
}

# local: 2 runs at a time, then again (nothing to do)
cd "$work/local"
spec mini.json
if "$jgan" sweep mini.json parallel=2 > sweep.out 2>&1 \
        && grep -q "sweep mini: 4 runs: 4 completed, 2 of 2 cross-tests done" sweep.out; then
    ok local
else
    fail "local: the sweep did not complete its 4 runs and 2 cross-tests; output in $work/local/sweep.out"
    tail -n 20 sweep.out >&2
fi
if "$jgan" sweep mini.json > again.out 2>&1 && grep -q "nothing to train here; " again.out \
        && grep -q "4 runs: 4 completed, 2 of 2 cross-tests done" again.out; then
    ok local-again
else
    fail "local-again: a second sweep of completed runs did not say there was nothing to do; see $work/local/again.out"
fi
# an invalid cell: refused naming the run and the key, nothing started
sed 's/"regularizer.r1.gamma": 10/"regularizer.r1.gamma": -1/; s/"name": "mini"/"name": "bad"/' mini.json > bad.json
status=0
"$jgan" sweep bad.json > bad.out 2>&1 || status=$?
if [ "$status" -eq 1 ] && grep -q "penalty 'r1': option 'gamma' has value '-1'.*(sweep bad, run bad-r1-s1 {method=r1}; nothing was started)" bad.out \
        && [ ! -d runs/bad-unreg-s1 ]; then
    ok invalid-cell
else
    fail "invalid-cell: exit status $status, expected 1 with the run and key named and no run started; see $work/local/bad.out"
fi

# interrupted and resumed: SIGTERM to the sweep stops its task's run at an iteration boundary, saved; the next sweep
# resumes it from its checkpoint and completes it
cat > long.json <<'EOF'
{"name": "long", "preset": "default",
 "settings": {"iterations": 3000, "sampleInterval": 0, "checkpointInterval": 100, "metrics": "none"},
 "grid": {"method": {"unreg": {}}}, "seeds": [1]}
EOF
"$jgan" sweep long.json > long.out 2>&1 &
sweep_pid=$!
for _ in $(seq 600); do
    [ -f runs/long-unreg-s1/checkpoints/checkpoint.zip ] && break
    sleep 0.1
done
kill -TERM "$sweep_pid" 2> /dev/null || true
wait "$sweep_pid" 2> /dev/null || true
"$jgan" sweep status long.json > long-status.out 2>&1 || true
# stopped at an iteration boundary with its status saved, and resumed from there
stopped=$(sed -n 's/.*long-unreg-s1  *interrupted it \([0-9]*\)\/3000.*/\1/p' long-status.out)
"$jgan" sweep long.json > long-again.out 2>&1 || true
if [ -n "$stopped" ] && grep -q "resumed from .* at iteration $stopped$" sweeps/long/logs/task-0.log \
        && grep -q "long-unreg-s1  *completed   it 3000/3000" long-again.out; then
    ok resume
else
    fail "resume: expected the run stopped by SIGTERM with its status saved (at iteration '$stopped'), then resumed from there and completed; see $work/local/long*.out and sweeps/long/logs/task-0.log"
    cat long-status.out >&2
fi

slurm_skip() {
    if [ "${CI:-}" = true ]; then
        fail "slurm: $1 (under CI the Slurm test must run)"
    else
        echo "sweep-test: slurm: skipped: $1"
    fi
}

# wait_job ID: polls squeue until the job has left the queue (deadline 10 minutes)
wait_job() {
    local left=""
    for _ in $(seq 600); do
        left=$(squeue -h -j "$1" -o '%i %T' 2> /dev/null || true)
        [ -z "$left" ] && return 0
        sleep 1
    done
    fail "slurm: job $1 still queued after 10 minutes: $left"
    return 1
}

slurm_test() {
    cd "$work/slurm"
    spec mini.json
    sed 's/"regularizer.r1.gamma": 10/"regularizer.r1.gamma": -1/; s/"name": "mini"/"name": "bad"/' mini.json > bad.json
    local status=0
    "$jgan" sweep bad.json launcher=slurm > bad.out 2>&1 || status=$?
    if [ "$status" -eq 1 ] && grep -q "option 'gamma' has value '-1'" bad.out && [ ! -e sweeps/bad/slurm/jobs ] \
            && [ -z "$(squeue -h -o %i)" ]; then
        ok slurm-invalid-cell
    else
        fail "slurm-invalid-cell: exit status $status, expected 1 and nothing submitted; see $work/slurm/bad.out"
    fi
    "$jgan" sweep mini.json launcher=slurm parallel=2 > submit.out 2>&1 || true
    local job cross
    job=$(sed -n 's/.*submitted job array \([0-9]*\) (4 tasks, at most 2 at once).*/\1/p' submit.out)
    cross=$(sed -n "s/.*submitted job array \([0-9]*\) (2 cross-tests, after job $job).*/\1/p" submit.out)
    if [ -z "$job" ] || [ -z "$cross" ]; then
        fail "slurm-submit: expected a job array of 4 tasks and one of 2 cross-tests after it; see $work/slurm/submit.out"
        tail -n 20 submit.out >&2
        return
    fi
    wait_job "$job" || return
    wait_job "$cross" || return
    local outputs
    outputs=$(ls sweeps/mini/slurm/slurm-"$job"_*.out sweeps/mini/slurm/slurm-"$cross"_*.out 2> /dev/null | wc -l)
    "$jgan" sweep status mini.json > status.out 2>&1 || true
    if [ "$outputs" -eq 6 ] \
            && grep -q "sweep mini: 4 runs: 4 completed, 2 of 2 cross-tests done; Slurm job arrays $job, $cross" status.out \
            && [ "$(grep -c 'trains run mini-' sweeps/mini/logs/task-*.log | awk -F: '{s += $2} END {print s}')" -eq 4 ]; then
        ok slurm
    else
        fail "slurm: expected 4 completed runs and 2 cross-tests by jobs $job and $cross ($outputs Slurm output files); see $work/slurm/status.out and sweeps/mini/logs"
        cat status.out >&2
    fi
    # a resubmission trains only what is missing: run 2, then the cross-test whose result was in its folder
    rm -rf runs/mini-unreg-s2
    "$jgan" sweep mini.json launcher=slurm > resubmit.out 2>&1 || true
    job=$(sed -n 's/.*submitted job array \([0-9]*\) (1 task).*/\1/p' resubmit.out)
    cross=$(sed -n "s/.*submitted job array \([0-9]*\) (1 cross-test, after job $job).*/\1/p" resubmit.out)
    if [ -n "$job" ] && [ -n "$cross" ] && tail -n 2 sweeps/mini/slurm/jobs | head -n 1 | grep -q "	2$" \
            && tail -n 1 sweeps/mini/slurm/jobs | grep -q "	1	cross-tests$" && wait_job "$job" && wait_job "$cross" \
            && "$jgan" sweep status mini.json 2>&1 | grep -q "4 runs: 4 completed, 2 of 2 cross-tests done"; then
        ok slurm-resubmit
    else
        fail "slurm-resubmit: expected one task for run 2 (mini-unreg-s2) and one for cross-test 1, then everything done; see $work/slurm/resubmit.out"
    fi
    # the same seeds give the same scores and cross-tests through either launcher
    "$jgan" sweep table mini.json > table.out 2>&1 || true
    if grep -q "^| unreg | r1 | 2 | " sweeps/mini/table.md \
            && cmp -s sweeps/mini/table.md "$work/local/sweeps/mini/table.md"; then
        ok same-scores
    else
        fail "same-scores: sweeps/mini/table.md lacks the cross-tests or differs between the Slurm and the local launcher:"
        diff sweeps/mini/table.md "$work/local/sweeps/mini/table.md" >&2 || true
    fi
}

if [ "$(id -u)" != 0 ]; then
    slurm_skip "starting Slurm's daemons needs root"
elif ! command -v sbatch > /dev/null && ! command -v apt-get > /dev/null; then
    slurm_skip "no Slurm and no apt-get to install it"
else
    "$cluster" install "$work/cluster"
    trap '"$cluster" stop "$work/cluster"' EXIT
    "$cluster" start "$work/cluster"
    export SLURM_CONF="$work/cluster/slurm.conf"
    slurm_test
fi

if [ "$failures" -gt 0 ]; then
    echo "sweep-test: $failures check(s) failed" >&2
    exit 1
fi
echo "sweep-test: all checks passed"
