#!/usr/bin/env bash
# What serving the dashboard costs a training run: the same run (preset default, ITERATIONS iterations, progress
# every 0.5 s, samples every 500) trained without the dashboard (JGAN_HTTP_PORT=off) and with headless Chromium
# showing its page (live charts, the event stream, the samples), alternately, ROUNDS times each; prints each run's
# training time (from its "training" log line to its "completed" line) and the medians. A benchmark that prints
# figures, not a test: run it on a quiet machine (runtime/src/test/sh/dashboard-benchmark.sh [ITERATIONS] [ROUNDS]).
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
jgan="$here/jgan"
iterations=${1:-3000}
rounds=${2:-3}
work="$here/target/dashboard-benchmark"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
chromium=/usr/lib/chromium/chromium
[ -x "$chromium" ] || { echo "dashboard-benchmark: needs $chromium (apt-get install chromium)" >&2; exit 2; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export JAVA_OPTS="-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS"

# seconds between the run's "training ..." and "completed ..." log lines
seconds() {
    local start end
    start=$(grep -m1 "INFO TrainingLoop - \[$1\] training" "$1.out" | cut -d' ' -f1)
    end=$(grep -m1 "INFO TrainingLoop - \[$1\] completed" "$1.out" | cut -d' ' -f1)
    python3 -c "import sys
def s(t): h, m, x = t.split(':'); return int(h) * 3600 + int(m) * 60 + float(x)
print('%.2f' % ((s(sys.argv[2]) - s(sys.argv[1])) % 86400))" "$start" "$end"
}

train() { # train NAME with|without
    local name=$1 browser=""
    if [ "$2" = with ]; then
        JGAN_HTTP_PORT=18965 "$jgan" run default name="$name" iterations="$iterations" progressInterval=0.5 \
            sampleInterval=500 > "$name.out" 2>&1 &
        local pid=$!
        local url=""
        for _ in $(seq 1 240); do
            url=$(sed -n 's/.*dashboard: \(http:[^ ]*\).*/\1/p' "$name.out" | head -n 1)
            [ -n "$url" ] && grep -q "\[$name\] training" "$name.out" && break
            sleep 0.25
        done
        "$chromium" --headless=new --no-sandbox --disable-dev-shm-usage --disable-gpu --window-size=1280,1200 \
            --user-data-dir="$work/chrome-$name" "${url}#/run/$name" > "chrome-$name.out" 2>&1 &
        browser=$!
        wait "$pid"
        kill "$browser" 2>/dev/null || true
        wait "$browser" 2>/dev/null || true
    else
        JGAN_HTTP_PORT=off "$jgan" run default name="$name" iterations="$iterations" progressInterval=0.5 \
            sampleInterval=500 > "$name.out" 2>&1
    fi
    seconds "$name"
}

without=()
with=()
for r in $(seq 1 "$rounds"); do
    t=$(train "off-$r" without); without+=("$t"); echo "round $r without the dashboard: $t s"
    t=$(train "on-$r" with); with+=("$t"); echo "round $r with Chromium on the run's page: $t s"
done
python3 - "${without[*]}" "${with[*]}" "$iterations" <<'PYEOF'
import statistics, sys
off = [float(x) for x in sys.argv[1].split()]
on = [float(x) for x in sys.argv[2].split()]
n = int(sys.argv[3])
mo, mn = statistics.median(off), statistics.median(on)
print("median training time for %d iterations: without %.2f s (%.1f it/s), with the dashboard in Chromium %.2f s "
      "(%.1f it/s): %+.1f%% time" % (n, mo, n / mo, mn, n / mn, 100 * (mn / mo - 1)))
PYEOF
grep -m1 "model name" /proc/cpuinfo | sed 's/^/cpu: /'; echo "cores: $(nproc)"
