#!/usr/bin/env bash
# Lays the exported runtime target/jgan.jar out as the folder target/jgan, which runtime/jgan starts from: the bundles
# as files that Felix installs by reference (reference:file:), and bundles with jars on their Bundle-ClassPath (the
# ND4J bundle, 337 MB) as folders, so that Felix opens those jars in place. Started from jgan.jar itself, Felix copies
# every bundle into each process's cache and unpacks the ND4J bundle's jars there: 655 MB and about 3 s per process.
# The folder is built beside and swapped in by rename, and records the jar it came from (size and time) in
# .from, which runtime/jgan compares with the jar before it uses the folder.
set -euo pipefail
target="$(cd "$1" && pwd)"
jar="$target/jgan.jar"
out="$target/jgan"
tmp="$target/jgan.tmp.$$"
jartool="${JAVA_HOME:+$JAVA_HOME/bin/}jar"
command -v "$jartool" >/dev/null || jartool=jar
rm -rf "$tmp"
java -jar "$jar" -extract "$tmp" > /dev/null
for b in "$tmp"/jar/*.jar; do
    if "$jartool" tf "$b" | grep -q '^lib/.*\.jar$'; then
        mkdir "$b.d"
        (cd "$b.d" && "$jartool" xf "$b")
        rm "$b"
        mv "$b.d" "$b"
    fi
done
stat -c '%s %Y' "$jar" > "$tmp/.from"
rm -rf "$out.old"
[ ! -e "$out" ] || mv "$out" "$out.old"
mv "$tmp" "$out"
rm -rf "$out.old"
echo "runtime laid out in $out"
