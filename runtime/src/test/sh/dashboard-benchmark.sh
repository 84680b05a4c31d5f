#!/usr/bin/env bash
# What serving the dashboard costs a training run: the same run (preset default, ITERATIONS iterations, progress
# every PROGRESS seconds, samples every 500) trained without the dashboard (JGAN_HTTP_PORT=off), with only a client
# of its event stream (curl: what the server does), and with headless Chromium showing the run's page (live charts,
# the event stream, the samples; on the same machine, so its own rendering competes with the training for the
# cores), in turn, ROUNDS times each; prints each run's training time (from its "training" log line to its
# "completed" line) and the medians. A benchmark that prints figures, not a test: run it on a quiet machine
# (runtime/src/test/sh/dashboard-benchmark.sh [ITERATIONS] [ROUNDS] [PROGRESS]).
set -euo pipefail
here="$(cd "$(dirname "$0")/../../.." && pwd)"
jgan="$here/jgan"
iterations=${1:-3000}
rounds=${2:-3}
progress=${3:-0.5}
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

train() { # train NAME without|events|browser
    local name=$1 browser=""
    if [ "$2" != without ]; then
        JGAN_HTTP_PORT=18965 "$jgan" run default name="$name" iterations="$iterations" progressInterval="$progress" \
            sampleInterval=500 > "$name.out" 2>&1 &
        local pid=$!
        local url=""
        for _ in $(seq 1 240); do
            url=$(sed -n 's/.*dashboard: \(http:[^ ]*\).*/\1/p' "$name.out" | head -n 1)
            [ -n "$url" ] && grep -q "\[$name\] training" "$name.out" && break
            sleep 0.25
        done
        if [ "$2" = browser ]; then
            "$chromium" --headless=new --no-sandbox --disable-dev-shm-usage --disable-gpu --window-size=1280,1200 \
                --user-data-dir="$work/chrome-$name" "${url}#/run/$name" > "chrome-$name.out" 2>&1 &
        else
            curl -s -N "${url}api/events" > "events-$name.out" &
        fi
        browser=$!
        wait "$pid"
        kill "$browser" 2>/dev/null || true
        wait "$browser" 2>/dev/null || true
    else
        JGAN_HTTP_PORT=off "$jgan" run default name="$name" iterations="$iterations" progressInterval="$progress" \
            sampleInterval=500 > "$name.out" 2>&1
    fi
    seconds "$name"
}

without=()
events=()
browser=()
for r in $(seq 1 "$rounds"); do
    t=$(train "off-$r" without); without+=("$t"); echo "round $r without the dashboard: $t s"
    t=$(train "events-$r" events); events+=("$t"); echo "round $r with an event-stream client: $t s"
    t=$(train "browser-$r" browser); browser+=("$t"); echo "round $r with Chromium on the run's page: $t s"
done
python3 - "${without[*]}" "${events[*]}" "${browser[*]}" "$iterations" "$progress" <<'PYEOF'
import statistics, sys
off, ev, br = ([float(x) for x in a.split()] for a in sys.argv[1:4])
n = int(sys.argv[4])
mo = statistics.median(off)
print("median training time for %d iterations, progress every %s s: without the dashboard %.2f s (%.1f it/s)"
      % (n, sys.argv[5], mo, n / mo))
for label, xs in (("an event-stream client", ev), ("Chromium on the run's page", br)):
    m = statistics.median(xs)
    print("  with %s: %.2f s (%.1f it/s), %+.1f%% time" % (label, m, n / m, 100 * (m / mo - 1)))
PYEOF
grep -m1 "model name" /proc/cpuinfo | sed 's/^/cpu: /'; echo "cores: $(nproc)"
