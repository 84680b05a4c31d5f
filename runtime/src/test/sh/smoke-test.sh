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
# the allocator settings runtime/jgan gives a JVM when its caller gives none (checked below)
unset MALLOC_MMAP_THRESHOLD_ MALLOC_TRIM_THRESHOLD_ GLIBC_TUNABLES
# no dashboard but where a check asks for one (runs started side by side would each take a port)
export JGAN_HTTP_PORT=off
# each process's Felix cache goes under TMPDIR (see runtime/jgan); a private one lets the checks below measure them
export TMPDIR="$work/tmp"
mkdir -p "$TMPDIR"
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
# A headless command begins the framework at start level 2, below the dashboard's Jetty bundle (3), which it never
# starts (gan:bundles names it as waiting, not as a problem); the ND4J bundle installs SameDiff's TensorFlow op
# descriptors from its binary form; the classes of a start come mapped from the laid-out folder's class-data sharing
# archive (jgan.jsa, which the build writes), the framework's, the ND4J bundle's and the engine's among them
check levels 0 "set to start at a start level above the framework's (2): org.apache.felix.http.jetty12 (level 3)" \
    env JAVA_OPTS="-Xlog:class+load=info:file=$work/classes.log -Dorg.slf4j.simpleLogger.log.org.jgan.nd4j=debug" \
    "$jgan" exec 'gan:bundles'
if ! grep -q "TensorFlow op descriptors installed in" levels.out \
        || ! grep -q "ND4J op descriptors installed in" levels.out; then
    echo "smoke: op-descriptors: the ND4J bundle did not install its binary op descriptors (TensorFlow's and ND4J's):" \
        "$(grep 'op descriptors' levels.out || echo 'no line about them')" >&2
    failures=$((failures + 1))
fi
# The ND4J bundle's embedded jars as Felix loads classes from them (EmbeddedJars): ND4J's API first on its
# Bundle-ClassPath and the bundle's own classes last, packed by the layout into lib/bundle-root.jar instead of its
# folder "." (laid out as a folder, Felix resolves a path's links in it for every class and resource it is asked for,
# and JavaCPP asks for its libraries under many names), none of them Multi-Release (Felix would ask each for every
# class under ten names), and the entries of those two stored, not deflated (Felix reads the bytes of every class it
# loads; the build stores the jars a start reads most classes from)
nd4j_bundle=("$here"/target/jgan/jar/org.jgan.nd4j-*.jar)
embedded=$(/usr/bin/python3 - "${nd4j_bundle[0]}" 2>&1 <<'PY'
import os, re, sys, zipfile
root = sys.argv[1]
manifest = open(os.path.join(root, "META-INF/MANIFEST.MF"), newline="").read().replace("\r\n ", "").replace("\n ", "")
cp = [e.strip() for e in re.search(r"^Bundle-ClassPath: (.*)$", manifest, re.M).group(1).split(",")]
jars = [j for j in cp if j != "."]
multi = [j for j in jars if re.search(r"(?im)^Multi-Release:\s*true",
         zipfile.ZipFile(os.path.join(root, j)).read("META-INF/MANIFEST.MF").decode("utf-8", "replace"))]
stored = [j for j in jars if all(i.compress_type == zipfile.ZIP_STORED
                                  for i in zipfile.ZipFile(os.path.join(root, j)).infolist())]
print("first " + cp[0] + ", last " + cp[-1] + ",", len(jars), "jars" + (", and ." if "." in cp else "") + ";",
      "Multi-Release: " + (" ".join(multi) if multi else "none") + ";", len(stored), "stored",
      "(the first " + ("and the last)" if cp[0] in stored and cp[-1] in stored else "or the last not)"))
PY
) || embedded="no answer from the check: $embedded"
if [[ "$embedded" == "first lib/nd4j-api-"*", last lib/bundle-root.jar, "*" jars; Multi-Release: none; "*" stored"* ]] \
        && [[ "$embedded" == *"(the first and the last)" ]]; then
    echo "smoke: embedded-jars: ok ($embedded)"
else
    echo "smoke: embedded-jars: expected ND4J's API first and the bundle's own classes (lib/bundle-root.jar) last on" \
        "the ND4J bundle's Bundle-ClassPath, its folder (.) not on it, no Multi-Release jar, and the entries of those" \
        "two jars stored (not deflated); found: $embedded" >&2
    failures=$((failures + 1))
fi
archive="$(readlink -f "$here/target/jgan")/jgan.jsa"
mapped=$(grep -c 'source: shared objects file (top)' classes.log || true)
if [ -s "$archive" ] && [ "$mapped" -ge 1000 ] \
        && grep -q ' org\.apache\.felix\.framework\.Felix source: shared objects file (top)' classes.log \
        && grep -q ' org\.jgan\.engine\.[^ ]* source: shared objects file (top)' classes.log \
        && grep -q ' org\.nd4j\.linalg\.factory\.Nd4j source: shared objects file (top)' classes.log; then
    echo "smoke: class-data-sharing: ok ($mapped classes mapped from $archive)"
else
    echo "smoke: class-data-sharing: $mapped classes mapped from the archive ($archive: $(du -m "$archive" 2>/dev/null \
        | cut -f1 || echo missing) MB); expected at least 1000, Felix, Nd4j and engine classes among them;" \
        "log in $work/classes.log" >&2
    failures=$((failures + 1))
fi
check invalid-setting 2 "option 'lrG' has value '-1'" "$jgan" run default name=bad lrG=-1
check unknown-loss 2 "unknown loss 'no-such-loss'" "$jgan" run default name=bad2 loss=no-such-loss
# a second run started at the same moment from the same folder (each JVM has its own Felix cache)
# (with an allocator setting of its own, which the script must pass on instead of its own two)
MALLOC_TRIM_THRESHOLD_=134217728 "$jgan" run default name=twin iterations=40 sampleInterval=0 progressInterval=1 \
    > twin.out 2>&1 &
twin=$!
check train 0 "run smoke COMPLETED it 40/40" env JAVA_OPTS="-Xlog:class+load=info:file=$work/train-classes.log" \
    "$jgan" run default name=smoke iterations=40 sampleInterval=20 progressInterval=1 checkpointInterval=20
# ND4J's JNI binding classes (Nd4jCpu and its nested classes, loaded by JavaCPP's JNI_OnLoad) come from the archive
# too, in a training run (which loads all of them): the build's second archiving run links them with the other
# classes the first left unlinked (jgan.cds.link), which JDK 17's dynamic archive requires
bindings=$(grep -c ' org\.nd4j\.linalg\.cpu\.nativecpu\.bindings\.Nd4jCpu[$ ]' train-classes.log || true)
bindings_mapped=$(grep ' org\.nd4j\.linalg\.cpu\.nativecpu\.bindings\.Nd4jCpu[$ ]' train-classes.log \
    | grep -c 'source: shared objects file (top)' || true)
if [ "$bindings" -ge 500 ] && [ "$bindings_mapped" -eq "$bindings" ]; then
    echo "smoke: archived-bindings: ok ($bindings_mapped of ND4J's binding classes mapped)"
else
    echo "smoke: archived-bindings: $bindings_mapped of $bindings ND4J binding classes mapped from the archive;" \
        "expected all of at least 500; log in $work/train-classes.log" >&2
    failures=$((failures + 1))
fi
# The classes a training run loads from the ND4J bundle come from the archive but for a few that it cannot hold (SLF4J
# 1.7's and Commons Math's, compiled for Java 5): the build's second archiving run links those the first loaded without
# linking (jgan.cds.link; about 650 of them were read from the jars at every start, oneDNN's binding among them, whose
# JNI_OnLoad loads its RNN descriptor, which no run links)
from_jars=$(grep ' source: file:.*/jar/org\.jgan\.nd4j-[^/]*\.jar/' train-classes.log | grep -vc ' org\.slf4j\.' || true)
if [ "$from_jars" -le 50 ] && grep -q ' org\.bytedeco\.dnnl\.dnnl_rnn_desc_t source: shared objects file' \
        train-classes.log; then
    echo "smoke: archived-unlinked: ok ($from_jars classes of the ND4J bundle read from its jars)"
else
    echo "smoke: archived-unlinked: $from_jars classes of the ND4J bundle (SLF4J's aside) read from its jars, expected" \
        "at most 50, oneDNN's dnnl_rnn_desc_t from the archive; log in $work/train-classes.log" >&2
    failures=$((failures + 1))
fi
# output that is not a terminal gets plain progress lines, no escape sequences (the bar is for terminals)
if grep -q $'\033' train.out || ! grep -q "\[smoke\] RUNNING   it" train.out; then
    echo "smoke: plain-output: escape sequences in, or progress lines missing from, $work/train.out" >&2
    failures=$((failures + 1))
fi
# the script's allocator settings reached the JVM, which records them (docs/architectures.md, "Page faults")
if ! grep -q '"malloc": "MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=268435456"' runs/smoke/config.json; then
    echo "smoke: malloc: runs/smoke/config.json lacks runtime/jgan's allocator settings: $(grep '"malloc"' \
        runs/smoke/config.json || echo 'no "malloc" entry')" >&2
    failures=$((failures + 1))
fi
# the script's JIT setting reached the JVM, which records it with its other options
jit='-XX:CompileCommand=CompileThresholdScaling,org.jgan.\*::\*,0.125 .*-XX:CompileThresholdScaling=2 .*-XX:InlineSmallCode=1000'
if ! grep -q "\"jvm\": \"[^\"]*$jit" \
        runs/smoke/config.json; then
    echo "smoke: jvm: runs/smoke/config.json lacks runtime/jgan's JIT setting: $(grep '"jvm"' \
        runs/smoke/config.json || echo 'no "jvm" entry')" >&2
    failures=$((failures + 1))
fi
twin_status=0
wait "$twin" || twin_status=$?
if ! grep -q '"malloc": "MALLOC_TRIM_THRESHOLD_=134217728"' runs/twin/config.json 2>/dev/null; then
    echo "smoke: malloc: runs/twin/config.json lacks the caller's own setting alone: $(grep '"malloc"' \
        runs/twin/config.json 2>/dev/null || echo 'no "malloc" entry')" >&2
    failures=$((failures + 1))
fi
if [ "$twin_status" -eq 0 ] && grep -q '"state": "COMPLETED"' runs/twin/status.json 2>/dev/null; then
    echo "smoke: concurrent: ok"
else
    echo "smoke: concurrent: the run started beside 'smoke' ended with status $twin_status; output in $work/twin.out" >&2
    tail -n 20 twin.out >&2
    failures=$((failures + 1))
fi
# started from the laid-out folder (target/jgan links to it), a process's Felix cache holds no copy of the bundles (the ND4J
# bundle alone is 337 MB; its copy and the jars unpacked from it were 655 MB per process)
caches=$(find "$TMPDIR" -maxdepth 1 -name 'jgan-felix-*' | wc -l)
largest=$( (du -sm "$TMPDIR"/jgan-felix-* 2>/dev/null || true) | sort -n | tail -n 1 | cut -f1)
if [ "$caches" -ge 2 ] && [ "${largest:-999}" -le 10 ]; then
    echo "smoke: felix-cache: ok ($caches caches, the largest ${largest} MB)"
else
    echo "smoke: felix-cache: $caches per-process caches in $TMPDIR, the largest ${largest:-?} MB (expected at least 2," \
        "each at most 10 MB)" >&2
    du -sm "$TMPDIR"/jgan-felix-* >&2 || true
    failures=$((failures + 1))
fi
for f in status.json config.json losses.csv samples checkpoints/checkpoint.zip; do
    if [ ! -e "runs/smoke/$f" ]; then
        echo "smoke: train: runs/smoke/$f missing" >&2
        failures=$((failures + 1))
    fi
done
# The interactive shell: help gan lists the gan commands; exit without a number ends the runtime with status 0,
# the run it was training stopped and saved; no SameDiff debugging lines on the console
shell_session() {
    timeout 120 "$jgan" shell < <(sleep 10; printf 'gan:start default name=shellrun iterations=1000000 sampleInterval=0\n'
        for _ in $(seq 1 160); do grep -q "\[shellrun\] RUNNING   it" shell-help-exit.out && break; sleep 0.5; done
        printf 'lb jetty\n'; printf 'help gan\n'; sleep 3; printf 'exit\n'; sleep 30)
}
check shell-help-exit 0 "gan:start  *Start a training run" shell_session
if ! grep -q '"state": "STOPPED"' runs/shellrun/status.json 2>/dev/null || [ ! -f runs/shellrun/checkpoints/checkpoint.zip ]; then
    echo "smoke: shell-help-exit: exit did not leave runs/shellrun stopped with its checkpoint" >&2
    failures=$((failures + 1))
fi
# the shell begins above every bundle: the dashboard's Jetty bundle (start level 3) is active from the start
if ! grep -q "Active *| *3|Apache Felix Http Jetty" shell-help-exit.out; then
    echo "smoke: shell-help-exit: lb jetty did not list the Jetty bundle active at start level 3:" \
        "$(grep 'Jetty' shell-help-exit.out || echo 'no Jetty row')" >&2
    failures=$((failures + 1))
fi
if grep -q "Added differentiated op" shell-help-exit.out; then
    echo "smoke: shell-help-exit: SameDiff's 'Added differentiated op' lines reached the shell's console" >&2
    failures=$((failures + 1))
fi
# gan:runs lists the runs of runs/ that earlier runtimes trained, with their recorded state
check recorded-runs 0 "^smoke  *COMPLETED it 40/40" timeout 120 "$jgan" exec 'gan:runs'
# a command's error is one line; JGAN_DEBUG=1 adds its stack trace
check one-line-error 1 "jgan: gan:sample smoke class=x: sample on run 'smoke': class is 'x'; expected an integer" \
    "$jgan" exec 'gan:sample smoke class=x'
if grep -q "^[[:space:]]*at org\.jgan" one-line-error.out; then
    echo "smoke: one-line-error: a stack trace without JGAN_DEBUG; output in $work/one-line-error.out" >&2
    failures=$((failures + 1))
fi
check debug-trace 1 "at org.jgan.engine.internal.analysis.Analysis" env JGAN_DEBUG=1 "$jgan" exec 'gan:sample smoke class=x'
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
term_status=0
wait "$pid" || term_status=$?
if grep -q '"state": "STOPPED"' runs/interrupted/status.json 2>/dev/null && [ -f runs/interrupted/checkpoints/checkpoint.zip ] \
        && grep -q "jgan: interrupted; run interrupted STOPPED" interrupted.out && [ "$term_status" -eq 1 ]; then
    echo "smoke: interrupted: ok"
else
    echo "smoke: interrupted: no STOPPED status.json and checkpoint, or exit status $term_status (expected 1), after" \
        "SIGTERM; output in $work/interrupted.out" >&2
    tail -n 20 interrupted.out >&2
    failures=$((failures + 1))
fi

# wait_for FILE PATTERN SECONDS: until FILE holds PATTERN; fails the check it is part of when it does not in time
wait_for() {
    for _ in $(seq 1 $(($3 * 4))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.25
    done
    return 1
}

# One trainer per run folder: a second process on the folder of a running run is refused, naming the holder
"$jgan" run default name=locked iterations=1000000 sampleInterval=0 progressInterval=1 > locked.out 2>&1 &
holder=$!
if wait_for locked.out "RUNNING   it" 120; then
    check second-trainer 1 "is being trained by pid $holder on host" "$jgan" run default name=locked iterations=10
    if [ -e runs/locked/status.json ]; then
        echo "smoke: second-trainer: the refused trainer wrote status.json" >&2
        failures=$((failures + 1))
    fi
    # The launcher's plug-in (org.jgan.launch, on the class path) left the framework's start-up code to C1: the
    # running JVM holds its compiler directive (C2 excluded for org/apache/felix/*.*), and no run printed HotSpot's
    # "compiler directives added" line (the line -XX:CompilerDirectivesFile prints on standard output)
    jcmd="$(dirname "$(readlink -f "$(command -v java)")")/jcmd"
    "$jcmd" "$holder" Compiler.directives_print > directives.out 2>&1 || true
    felix_c2=$(awk '/^ matching: .*org\/apache\/felix\/\*\.\*/ { on = 1 } on && /c2 directives:/ { c2 = 1 }
                    c2 && /Exclude:/ { print; exit }' directives.out)
    if [[ " $felix_c2 " == *" Exclude:true "* ]] && ! grep -q "compiler directives" train.out locked.out; then
        echo "smoke: compiler-directives: ok (org/apache/felix/*.* kept from C2 in pid $holder; no line printed)"
    else
        echo "smoke: compiler-directives: pid $holder holds no directive keeping org/apache/felix/*.* from C2 (jcmd's" \
            "print in $work/directives.out), or a run printed HotSpot's 'compiler directives added' line" >&2
        failures=$((failures + 1))
    fi
    # ND4J's ONNX op descriptors stay unread (the ND4J bundle's OnnxDescriptorParser, in the place of ND4J's in its
    # nd4j-api jar, parses them when they are first read, which only ONNX import does): the running JVM built SameDiff's
    # op registry, which holds them, with that class, and never loaded ND4J's Jackson, which ND4J's class parsed them with
    "$jcmd" "$holder" VM.class_hierarchy > classes.out 2>&1 || true
    if grep -q -- '--org.nd4j.imports.converters.DifferentialFunctionClassHolder/' classes.out \
            && grep -q -- '--org.nd4j.imports.descriptors.onnx.OnnxDescriptorParser\$OnFirstRead/' classes.out \
            && ! grep -q -- 'org.nd4j.shade.jackson.databind.ObjectMapper/' classes.out; then
        echo "smoke: onnx-descriptors: ok (pid $holder built SameDiff's op registry without reading them; no Jackson)"
    else
        echo "smoke: onnx-descriptors: pid $holder has no op registry, not the ND4J bundle's OnnxDescriptorParser, or" \
            "loaded Jackson's ObjectMapper (jcmd's class list in $work/classes.out)" >&2
        failures=$((failures + 1))
    fi
else
    echo "smoke: second-trainer: the first trainer did not start; output in $work/locked.out" >&2
    failures=$((failures + 1))
fi
kill -TERM "$holder" 2>/dev/null || true
wait "$holder" || true

# kill -9 at random moments (checkpoints at every iteration, so kills land in checkpoint writes too), then resume:
# losses.csv holds each iteration once and equals an uninterrupted run's
common=(iterations=600 sampleInterval=0 checkpointInterval=1 progressInterval=1)
check straight 0 "run straight COMPLETED it 600/600" "$jgan" run default name=straight "${common[@]}"
for k in 1 2 3 4; do
    "$jgan" run default name=killed "${common[@]}" > "killed-$k.out" 2>&1 &
    victim=$!
    # two progress lines (about a second of training), then a random moment within the next 1.5 s
    for _ in $(seq 1 480); do
        [ "$(grep -c "RUNNING   it" "killed-$k.out" 2>/dev/null)" -ge 2 ] && break
        sleep 0.25
    done
    sleep "$((RANDOM % 2)).$((RANDOM % 10))$((RANDOM % 10))"
    kill -KILL "$victim" 2>/dev/null || true
    wait "$victim" 2>/dev/null || true
done
check resumed 0 "run killed COMPLETED it 600/600" "$jgan" run default name=killed "${common[@]}"
if cmp -s runs/straight/losses.csv runs/killed/losses.csv; then
    echo "smoke: kill-9: ok (losses.csv equals the uninterrupted run's after 4 kills)"
else
    echo "smoke: kill-9: runs/killed/losses.csv differs from runs/straight/losses.csv" >&2
    diff runs/straight/losses.csv runs/killed/losses.csv | head -n 10 >&2
    failures=$((failures + 1))
fi

# Same settings and seed, same numbers: a run trained in a JVM that trained another run before it (and with one
# training beside it) logs the losses of the same run trained alone in its own JVM
same=(iterations=60 sampleInterval=0 progressInterval=1)
check alone 0 "run alone COMPLETED it 60/60" "$jgan" run default name=alone "${same[@]}"
check after-other 0 "after COMPLETED" "$jgan" exec "gan:start default name=before iterations=30 ; gan:watch before ; \
gan:start default name=beside iterations=1000000 ; gan:start default name=after ${same[*]} ; gan:watch after"
if cmp -s runs/alone/losses.csv runs/after/losses.csv; then
    echo "smoke: same-numbers: ok"
else
    echo "smoke: same-numbers: runs/after/losses.csv (trained after and beside other runs in one JVM) differs from" \
        "runs/alone/losses.csv" >&2
    diff runs/alone/losses.csv runs/after/losses.csv | head -n 6 >&2
    failures=$((failures + 1))
fi
# the run still going when the command ended was stopped and saved, not lost with the JVM
if grep -q "jgan: run beside was still going when the command ended" after-other.out \
        && grep -q '"state": "STOPPED"' runs/beside/status.json 2>/dev/null; then
    echo "smoke: exec-leftover: ok"
else
    echo "smoke: exec-leftover: the run left going by the command has no STOPPED status.json, or no console line;" \
        "output in $work/after-other.out" >&2
    failures=$((failures + 1))
fi

# A full disk (a 1 MB tmpfs; needs root): the run fails naming the file, status.json records the failure, no
# temporary file is left, and the last checkpoint is intact
if [ "$(id -u)" = 0 ] && mkdir -p full && mount -t tmpfs -o size=1m tmpfs full 2>/dev/null; then
    check full-disk 1 "No space left on device" "$jgan" run default name=full outputDir=full/run iterations=1000000 \
        sampleInterval=20 checkpointInterval=10 progressInterval=1
    if grep -q '"state": "FAILED"' full/run/status.json && grep -q 'could not write .*full/run' full/run/status.json \
            && [ -z "$(find full -name '*.tmp')" ] && jar tf full/run/checkpoints/checkpoint.zip > /dev/null 2>&1; then
        echo "smoke: full-disk-state: ok"
    else
        echo "smoke: full-disk-state: status.json, leftovers or checkpoint wrong:" >&2
        cat full/run/status.json >&2 || true
        find full -name '*.tmp' >&2
        failures=$((failures + 1))
    fi
    umount full
else
    echo "smoke: full-disk: skipped (needs root and a tmpfs mount)"
fi

# Headless commands do not start the runs of ./load/*.cfg; a jar there that is not a bundle is named
mkdir -p load notbundle
printf 'dataset=ring8\niterations=50\n' > load/org.jgan.run-fromcfg.cfg
echo x > notbundle/x.txt
jar --create --file load/notabundle.jar -C notbundle .
check load-folder 0 "notabundle.jar: its manifest has no Bundle-SymbolicName" "$jgan" exec 'gan:bundles'
if [ -e runs/fromcfg ]; then
    echo "smoke: load-folder: a headless command started the run of load/org.jgan.run-fromcfg.cfg" >&2
    failures=$((failures + 1))
fi
rm -rf load/org.jgan.run-fromcfg.cfg load/notabundle.jar notbundle

# A repeated key is refused; a misspelt component is refused as soon as the runtime has started
check repeated-key 2 "setting 'lrD' is given twice ('1e-4' and '5'); expected each key once" \
    "$jgan" run default name=bad3 lrD=1e-4 lrD=5
start=$(date +%s)
check misspelt-quickly 2 "unknown architecture 'mpl'" "$jgan" run default name=bad4 architecture=mpl
took=$(( $(date +%s) - start ))
if [ "$took" -gt 60 ]; then
    echo "smoke: misspelt-quickly: took $took s to refuse a misspelt component" >&2
    failures=$((failures + 1))
fi

# A headless run starts the dashboard's HTTP server after its first iteration, not beside it (runtime/jgan.bndrun):
# with progress lines every 0.1 s (the shortest interval), the address comes after the first one
JGAN_HTTP_PORT=18766 "$jgan" run default name=deferred iterations=1000000 sampleInterval=0 progressInterval=0.1 \
    > deferred.out 2>&1 &
deferred=$!
for _ in $(seq 1 240); do
    grep -q "dashboard: http" deferred.out && break
    sleep 0.5
done
kill "$deferred" 2>/dev/null || true
wait "$deferred" 2>/dev/null || true
first=$(grep -n "\[deferred\] RUNNING   it " deferred.out | head -n 1 | cut -d: -f1)
served=$(grep -n "dashboard: http" deferred.out | head -n 1 | cut -d: -f1)
if [ -n "$first" ] && [ -n "$served" ] && [ "$served" -gt "$first" ]; then
    echo "smoke: dashboard-after-first-iteration: ok"
else
    echo "smoke: dashboard-after-first-iteration: the address (line ${served:-none}) did not come after the first" \
        "progress line (line ${first:-none}); output in $work/deferred.out" >&2
    failures=$((failures + 1))
fi
# Jetty logs through SLF4J 2, which finds its provider through SPI Fly: both start at level 2, before Jetty (3), and
# the ND4J bundle alone at level 1, so that ND4J's native libraries load while the framework starts the rest
# (runtime/jgan.bndrun); with SPI Fly after Jetty SLF4J says "SLF4J(W): No SLF4J providers were found."
if grep -q "SLF4J(W)" deferred.out; then
    echo "smoke: slf4j-provider: Jetty's SLF4J found no provider: $(grep -m 1 'SLF4J(W)' deferred.out)" >&2
    failures=$((failures + 1))
fi
level_one=$(tr ',' '\n' < "$(readlink -f "$here/target/jgan")/folder.properties" | sed -n 's/;version.*startlevel\\=1$//p' \
    | paste -sd' ')
if [ "$level_one" = "org.jgan.nd4j" ]; then
    echo "smoke: start-levels: ok (level 1: $level_one)"
else
    echo "smoke: start-levels: expected the ND4J bundle alone at start level 1; found: ${level_one:-none}" >&2
    failures=$((failures + 1))
fi

# The dashboard (docs/dashboard.md): a run serves it on 127.0.0.1 and prints its address; the event stream carries
# the run's progress live; state-changing requests need the page's token and the same origin; a bad value gets the
# engine's one-line refusal; files are served from the run folder by name only
JGAN_HTTP_PORT=18765 "$jgan" run default name=web iterations=1000000 sampleInterval=0 progressInterval=0.5 \
    > web.out 2>&1 &
web=$!
dash_failures=0
dash_fail() {
    echo "smoke: dashboard: $1; output in $work/web.out" >&2
    dash_failures=$((dash_failures + 1))
}
url=""
for _ in $(seq 1 240); do
    url=$(sed -n 's/.*dashboard: \(http:[^ ]*\).*/\1/p' web.out | head -n 1)
    [ -n "$url" ] && grep -q "RUNNING   it" web.out && break
    sleep 0.5
done
if [ -z "$url" ] || ! grep -q "RUNNING   it" web.out; then
    dash_fail "no dashboard address printed, or the run did not start within 2 minutes"
else
    case "$url" in http://127.0.0.1:*) ;; *) dash_fail "served at $url, expected 127.0.0.1" ;; esac

    api="${url}api/runs/web"
    timeout 6 curl -s -N "${url}api/events" > web-events.txt || true
    its=$(grep -A1 '^event: progress' web-events.txt | grep -o '"iteration":[0-9]*' | sort -u | wc -l)
    [ "$its" -ge 2 ] || dash_fail "the event stream carried $its distinct iterations in 6 s, expected at least 2"
    code=$(curl -s -o web-post.txt -w '%{http_code}' -H "Origin: ${url%/}" -X POST "$api/pause")
    { [ "$code" = 403 ] && grep -q "missing session cookie" web-post.txt; } \
        || dash_fail "a same-origin POST without token answered $code $(cat web-post.txt), expected 403"
    port=${url##*:}
    code=$(curl -s -o web-post.txt -w '%{http_code}' -H "Host: evil.example:${port%/}" "${url}api/runs")
    [ "$code" = 403 ] || dash_fail "a request naming another host (DNS rebinding) answered $code, expected 403"
    token=$(curl -s -c web-cookies "$url" | sed -n 's/.*name="jgan-token" content="\([^"]*\)".*/\1/p')
    post() { # post ORIGIN ACTION BODY: prints the status code, the body goes to web-post.txt
        curl -s -o web-post.txt -w '%{http_code}' -b web-cookies -H "X-Jgan-Token: $token" -H "Origin: $1" \
            -X POST "$api/$2" --data "$3"
    }
    code=$(post http://evil.example pause '')
    [ "$code" = 403 ] || dash_fail "a cross-origin POST with the token answered $code, expected 403"
    code=$(curl -s -o web-post.txt -w '%{http_code}' -b web-cookies -H "X-Jgan-Token: x$token" \
        -H "Origin: ${url%/}" -X POST "$api/pause")
    [ "$code" = 403 ] || dash_fail "a POST with a wrong token answered $code, expected 403"
    code=$(post "${url%/}" set '{"lrD":"-1"}')
    { [ "$code" = 400 ] && grep -q "option 'lrD' has value '-1'" web-post.txt; } \
        || dash_fail "an invalid lrD answered $code $(cat web-post.txt), expected 400 with the engine's message"
    code=$(post "${url%/}" set '{"lrD":"3e-4"}')
    [ "$code" = 200 ] || dash_fail "a valid lrD answered $code $(cat web-post.txt)"
    code=$(post "${url%/}" pause '')
    [ "$code" = 200 ] || dash_fail "pause answered $code $(cat web-post.txt)"
    for _ in $(seq 1 60); do
        curl -s "$api" | grep -q '"state":"PAUSED"' && break
        sleep 0.5
    done
    curl -s "$api" | grep -q '"state":"PAUSED"' || dash_fail "the run is not PAUSED 30 s after the pause"
    grep -q '^[0-9]*,lrD,' runs/web/history.csv 2>/dev/null || dash_fail "history.csv has no lrD row"
    for path in "file/../../../../etc/passwd" "file/%2e%2e/%2e%2e/status.json" "file//etc/passwd" \
            "file/samples/..%2f..%2fconfig.json" "file/.lock" "file/checkpoints/checkpoint.zip"; do
        code=$(curl -s --path-as-is -o web-file.txt -w '%{http_code}' "$api/$path")
        if [ "$code" = 200 ] || grep -q "root:" web-file.txt; then
            dash_fail "$path was served ($code)"
        fi
    done
    curl -s "${url}api/recorded" | grep -q '"id":"smoke","state":"COMPLETED"' \
        || dash_fail "/api/recorded does not list the completed run 'smoke' of an earlier runtime"
    code=$(curl -s -o web-file.txt -w '%{http_code}' "$api/file/config.json")
    { [ "$code" = 200 ] && grep -q '"run": "web"' web-file.txt; } || dash_fail "config.json answered $code"
    post "${url%/}" stop '' > /dev/null
fi
kill "$web" 2>/dev/null || true
wait "$web" 2>/dev/null || true
if [ "$dash_failures" -eq 0 ]; then
    echo "smoke: dashboard: ok"
fi
failures=$((failures + dash_failures))

if [ "$failures" -gt 0 ]; then
    echo "smoke: $failures check(s) failed" >&2
    exit 1
fi
echo "smoke: all checks passed"
