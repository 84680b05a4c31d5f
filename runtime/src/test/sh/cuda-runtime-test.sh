#!/usr/bin/env bash
# The CUDA runtime (mvn -Pcuda install -DskipTests) on this machine: it trains a short run and records the backend it
# chose in config.json, and its one log line says which and why. On a machine without a usable NVIDIA GPU that is the
# CPU fallback (the CUDA backend and libraries are in the runtime but not loaded); without a driver at all, forcing
# CUDA (JGAN_BACKEND=cuda) is also refused before any training starts. Not part of CI (the CUDA runtime is 2.4 GB of
# downloads): the cuda profile's integration test, or runtime/src/test/sh/cuda-runtime-test.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
jgan="$here/jgan"
[ -f "$here/target/jgan-cuda.jar" ] || { echo "cuda-runtime-test: build the CUDA runtime first: mvn -B -Pcuda install -DskipTests" >&2; exit 2; }
work="$here/target/cuda-runtime-test"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
failures=0
fail() { echo "cuda-runtime-test: $1; output in $work/$2" >&2; tail -n 15 "$work/$2" >&2; failures=$((failures + 1)); }

status=0
JGAN_RUNTIME=cuda JGAN_HTTP_PORT=off "$jgan" run default name=fallback iterations=40 sampleInterval=20 \
    > fallback.out 2>&1 || status=$?
line=$(grep -m1 "ND4J backend" fallback.out | sed 's/^.*ND4J backend/ND4J backend/' || true)
echo "cuda-runtime-test: $line"
if [ "$status" -ne 0 ] || ! grep -q "run fallback COMPLETED it 40/40" fallback.out; then
    fail "the run did not complete (exit status $status)" fallback.out
fi
recorded=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['backend'])" runs/fallback/config.json \
    2>/dev/null || echo "none")
echo "cuda-runtime-test: config.json backend: $recorded"
if [[ "$line" == "ND4J backend CPU chosen because"* ]]; then
    [[ "$recorded" == CpuBackend* ]] || fail "the CPU was chosen but config.json records '$recorded'" fallback.out
    if ! command -v nvidia-smi > /dev/null; then
        # no driver: forcing CUDA is refused at start, nothing trains
        status=0
        JGAN_RUNTIME=cuda JGAN_BACKEND=cuda JGAN_HTTP_PORT=off "$jgan" run default name=forced iterations=40 \
            > forced.out 2>&1 || status=$?
        if [ "$status" -ne 2 ] || [ -f runs/forced/checkpoints/checkpoint.zip ]; then
            fail "JGAN_BACKEND=cuda without a driver: exit status $status, expected 2 and no training" forced.out
        else
            echo "cuda-runtime-test: JGAN_BACKEND=cuda without a driver: $(grep -m1 'jgan: cannot start' forced.out || grep -m1 'ND4J' forced.out)"
        fi
    fi
elif [[ "$line" == "ND4J backend CUDA chosen because"* ]]; then
    [[ "$recorded" == JCublasBackend* ]] || fail "CUDA was chosen but config.json records '$recorded'" fallback.out
else
    fail "no 'ND4J backend ... chosen because' line" fallback.out
fi
if [ "$failures" -gt 0 ]; then
    exit 1
fi
echo "cuda-runtime-test: ok"
