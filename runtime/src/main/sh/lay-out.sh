#!/usr/bin/env bash
# Lays the exported runtime target/jgan.jar out as a folder that runtime/jgan starts from: the bundles as files that
# Felix installs by reference (reference:file:), and bundles with jars on their Bundle-ClassPath (the ND4J bundle,
# 337 MB) as folders, so that Felix opens those jars in place. Started from jgan.jar itself, Felix copies every
# bundle into each process's cache and unpacks the ND4J bundle's jars there: 655 MB and about a second per process.
#
# The folder is started through bnd's launcher in file mode (folder.properties: the bundles by absolute path; the
# framework and the launcher on the class path as jars), so that the JVM can map the classes a start loads from a
# class-data sharing archive, jgan.jsa, which this script writes by one short training run (JDK CDS: the classes
# parsed and verified once; a JVM refuses archives from a class path with folders on it).
#
# Each build of the jar gets its own folder, target/jgan-<size>-<mtime>, with the jar's size and time in .from; the
# link target/jgan is switched to it atomically. Processes started from an earlier folder keep reading it (Felix loads
# classes from referenced bundles lazily), so a folder is removed only once no process names it on its command line.
#
#   lay-out.sh TARGET [NAME]   NAME (default jgan): the CUDA runtime (mvn -Pcuda) passes jgan-cuda; the exported
#                              jgan.jar is then renamed NAME.jar first and laid out as target/NAME
set -euo pipefail
target="$(cd "$1" && pwd)"
name="${2:-jgan}"
jar="$target/$name.jar"
if [ "$name" != jgan ]; then
    mv -f "$target/jgan.jar" "$jar"
fi
stamp="$(stat -c '%s-%Y' "$jar")"
out="$target/$name-$stamp"
jartool="${JAVA_HOME:+$JAVA_HOME/bin/}jar"
command -v "$jartool" > /dev/null || jartool=jar
if [ ! -f "$out/.from" ] || [ ! -f "$out/folder.properties" ]; then
    tmp="$(mktemp -d "$target/$name.tmp.XXXXXX")"
    trap 'rm -rf "$tmp"' EXIT
    rmdir "$tmp"
    java -jar "$jar" -extract "$tmp" > /dev/null
    for b in "$tmp"/jar/*.jar; do
        if "$jartool" tf "$b" | grep -q '^lib/.*\.jar$'; then
            mkdir "$b.d"
            (cd "$b.d" && "$jartool" xf "$b")
            rm "$b"
            mv -T "$b.d" "$b"
        fi
    done
    # bnd's launcher in file mode: the same properties, the bundles named by their paths in the final folder
    sed -e 's/^launch\.embedded=.*/launch.embedded=false/' -e "/^launch\.bundles=/s#jar/#$out/jar/#g" \
        "$tmp/launcher.properties" > "$tmp/folder.properties"
    # the framework and the launcher (the manifest's Embedded-Runpath) as the JVM's class path
    sed -n '/^Embedded-Runpath:/,/^[^ ]/p' "$tmp/META-INF/MANIFEST.MF" | tr -d '\r' \
        | awk 'NR == 1 { sub(/^Embedded-Runpath: /, ""); line = $0; next } /^ / { line = line substr($0, 2); next }
               END { print line }' | tr ',' '\n' | sed "s#^#$out/#" | paste -sd: > "$tmp/.classpath"
    stat -c '%s %Y' "$jar" > "$tmp/.from"
    rm -rf "$out"
    mv -T "$tmp" "$out"
fi
# the link, switched by rename (a folder of that name from an earlier version of this script goes first)
[ -L "$target/$name" ] || rm -rf "$target/$name"
ln -sfn "$name-$stamp" "$target/$name.link.$$"
mv -T "$target/$name.link.$$" "$target/$name"
# The class-data sharing archive: the classes one short default run loads (framework, bundles, ND4J's op classes),
# written by the JVM as that run exits; runtime/jgan passes it to every JVM it starts from this folder. Written under
# a temporary name and renamed, so that a start never maps a partial archive. Without it, starts work as before.
if [ ! -f "$out/jgan.jsa" ]; then
    case "$name" in jgan-cuda) runtime=cuda ;; *) runtime=cpu ;; esac
    work="$(mktemp -d)"
    if (cd "$work" && mkdir tmp && TMPDIR="$work/tmp" JGAN_RUNTIME="$runtime" JGAN_HTTP_PORT=off \
            JAVA_OPTS="-XX:ArchiveClassesAtExit=$out/jgan.jsa.tmp -Xlog:cds=off -Xlog:cds+dynamic=off" \
            "$target/../jgan" run default name=cds iterations=1 > run.out 2>&1) && [ -s "$out/jgan.jsa.tmp" ]; then
        mv -f "$out/jgan.jsa.tmp" "$out/jgan.jsa"
        echo "class-data sharing archive written: $out/jgan.jsa ($(du -m "$out/jgan.jsa" | cut -f1) MB)"
    else
        rm -f "$out/jgan.jsa.tmp"
        echo "lay-out: no class-data sharing archive (starts take longer): the archiving run failed:" >&2
        tail -n 5 "$work/run.out" >&2 || true
    fi
    rm -rf "$work"
fi
# earlier folders of this name that no running process was started from (their stamps start with the jar's size)
for d in "$target/$name"-[0-9]*; do
    [ -d "$d" ] && [ "$d" != "$out" ] || continue
    if ! grep -qsF -- "$d" /proc/[0-9]*/cmdline; then
        rm -rf "$d"
    fi
done
rm -rf "$target/$name".tmp.*
echo "runtime laid out in $out (target/$name links to it)"
