#!/usr/bin/env bash
# What serving the dashboard costs a training run: the same run (preset default, ITERATIONS iterations, progress
# every PROGRESS seconds, samples every 500) trained without the dashboard (JGAN_HTTP_PORT=off), with only a client
# of its event stream (curl: what the server does), and with headless Chromium showing the run's page (live charts,
# the event stream, the samples; on the same machine, so its own rendering competes with the training for the
# cores), in turn, ROUNDS times each; prints each run's training time (from its "training" log line to its
# "completed" line) and the medians. A benchmark that prints figures, not a test: run it on a quiet machine
# (runtime/src/test/sh/dashboard-benchmark.sh [ITERATIONS] [ROUNDS] [PROGRESS]).
# Because a shared machine's speed drifts between rounds by as much as the effect, it also prints what each part
# consumed in CPU time over the whole run, which drift does not change: the training JVM's threads by name (the
# run's thread, the native OpenMP workers, the HTTP server's and the event threads, the JVM's own) read from
# /proc/PID/task every second, and Chromium's processes over their whole life, start-up included.
# A headless run starts the HTTP server after its first iteration (runtime/jgan.bndrun): in the two arms with the
# dashboard, Jetty's start falls inside the timed training; without it, Jetty's bundle is not started at all.
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

# the JVM's threads, every second while the process lives: a "#EPOCHSECONDS" line, then one "comm|stat" line per
# thread (bash builtins but for one sleep a second, so it costs next to no CPU itself)
watch_threads() { # watch_threads PID FILE
    local comm stat
    while [ -d "/proc/$1/task" ]; do
        echo "#$EPOCHREALTIME" >> "$2"
        for t in /proc/"$1"/task/*; do
            read -r comm < "$t/comm" 2>/dev/null || continue
            read -r stat < "$t/stat" 2>/dev/null || continue
            echo "$comm|$stat"
        done >> "$2" 2>/dev/null
        sleep 1
    done
}

# CPU seconds of process PID and all its descendants (Chromium's browser, renderer, GPU and utility processes)
tree_cpu() {
    python3 - "$1" "$(getconf CLK_TCK)" <<'PYEOF'
import os, sys
root, tick = int(sys.argv[1]), float(sys.argv[2])
stats = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            s = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        f = s[s.rindex(")") + 2:].split()
        stats[int(p)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick)
tree, added = {root}, True
while added:
    added = False
    for p, (ppid, _) in stats.items():
        if ppid in tree and p not in tree:
            tree.add(p)
            added = True
print("%.2f" % sum(stats[p][1] for p in tree if p in stats))
PYEOF
}

train() { # train NAME without|events|browser
    local name=$1 browser=""
    if [ "$2" != without ]; then
        JGAN_HTTP_PORT=18965 "$jgan" run default name="$name" iterations="$iterations" progressInterval="$progress" \
            sampleInterval=500 > "$name.out" 2>&1 &
        local pid=$!
        watch_threads "$pid" "threads-$name.txt" &
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
        if [ "$2" = browser ]; then
            tree_cpu "$browser" > "chrome-cpu-$name.txt"
        fi
        kill "$browser" 2>/dev/null || true
        wait "$browser" 2>/dev/null || true
    else
        JGAN_HTTP_PORT=off "$jgan" run default name="$name" iterations="$iterations" progressInterval="$progress" \
            sampleInterval=500 > "$name.out" 2>&1 &
        local pid=$!
        watch_threads "$pid" "threads-$name.txt" &
        wait "$pid"
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
# CPU time by part while the run trained (from the snapshot before its "training" log line to the first after its
# "completed" line: start-up and shut-down left out), summed over the rounds of each configuration
python3 - "$rounds" "$(getconf CLK_TCK)" <<'PYEOF'
import datetime, glob, os, re, sys
rounds, tick = int(sys.argv[1]), float(sys.argv[2])

def window(name):
    """The training's start and end as epoch seconds, from the run's log lines (HH:MM:SS.mmm, local time)."""
    out = open(name + ".out").read()
    times = []
    for what in ("training", "completed"):
        t = re.search(r"^(\d\d:\d\d:\d\d\.\d+) INFO TrainingLoop - \[%s\] %s" % (re.escape(name), what), out, re.M)
        times.append(t.group(1))
    day = datetime.datetime.fromtimestamp(os.path.getmtime(name + ".out")).date()
    return [datetime.datetime.combine(day, datetime.time.fromisoformat(t)).timestamp() for t in times]

def cpu_in_window(f, name):
    """CPU seconds per thread between the last snapshot at or before the start and the first at or after the end."""
    start, end = window(name)
    snaps, cur = [], None
    for line in open(f):
        if line.startswith("#"):
            cur = (float(line[1:]), {})
            snaps.append(cur)
        else:
            comm, stat = line.rstrip("\n").split("|", 1)
            fields = stat[stat.rindex(")") + 2:].split()
            cur[1][int(stat.split()[0])] = (comm, (int(fields[11]) + int(fields[12])) / tick)  # utime, stime
    before = [s for s in snaps if s[0] <= start]
    after = [s for s in snaps if s[0] >= end]
    first = before[-1][1] if before else {}
    last = after[0][1] if after else snaps[-1][1]
    # a thread that ended within the window keeps its last reading
    seen = {}
    for t, th in snaps:
        if start <= t <= end:
            seen.update(th)
    seen.update(last)
    return [(comm, cpu - first.get(tid, (comm, 0))[1]) for tid, (comm, cpu) in seen.items()]

def part(comm, name):
    if comm.startswith("jgan-run-"):
        return "the run's thread"
    if comm == "java":
        return "native workers (OpenMP) and main"
    if comm.startswith("qtp") or "jetty" in comm.lower() or "http" in comm.lower() or comm.startswith("Connector"):
        return "HTTP server (Jetty)"
    if comm.startswith("EventAdmin"):
        return "EventAdmin"
    if re.match(r"(GC|G1|C1|C2|VM |Compiler|Sweeper|Common-Cleaner|Reference|Finalizer|Signal|Service|Notif)", comm):
        return "JVM (GC, JIT, ...)"
    return "other threads"
for config, label in (("off", "without the dashboard"), ("events", "with an event-stream client"),
                      ("browser", "with Chromium on the run's page")):
    totals = {}
    for r in range(1, rounds + 1):
        f = "threads-%s-%d.txt" % (config, r)
        if not os.path.exists(f):
            continue
        for comm, cpu in cpu_in_window(f, "%s-%d" % (config, r)):
            totals[part(comm, config)] = totals.get(part(comm, config), 0) + cpu
    chrome = sum(float(open(f).read() or 0) for f in glob.glob("chrome-cpu-%s-*.txt" % config))
    jvm = sum(totals.values())
    print("CPU time while training, %d round(s) %s: the JVM %.1f s" % (rounds, label, jvm))
    for k, v in sorted(totals.items(), key=lambda kv: -kv[1]):
        print("  %-34s %7.2f s  %5.2f%%" % (k, v, 100 * v / jvm if jvm else 0))
    if config == "browser":
        print("  Chromium's processes: %.1f s (%.1f%% of the JVM's)" % (chrome, 100 * chrome / jvm if jvm else 0))
PYEOF
grep -m1 "model name" /proc/cpuinfo | sed 's/^/cpu: /'; echo "cores: $(nproc)"
