#!/usr/bin/env bash
# Lays the exported runtime target/jgan.jar out as a folder that runtime/jgan starts from: the bundles as files that
# Felix installs by reference (reference:file:), and bundles with jars on their Bundle-ClassPath (the ND4J bundle,
# 337 MB) as folders, so that Felix opens those jars in place. Started from jgan.jar itself, Felix copies every
# bundle into each process's cache and unpacks the ND4J bundle's jars there: 655 MB and about a second per process.
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
if [ ! -f "$out/.from" ]; then
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
    stat -c '%s %Y' "$jar" > "$tmp/.from"
    rm -rf "$out"
    mv -T "$tmp" "$out"
fi
# the link, switched by rename (a folder of that name from an earlier version of this script goes first)
[ -L "$target/$name" ] || rm -rf "$target/$name"
ln -sfn "$name-$stamp" "$target/$name.link.$$"
mv -T "$target/$name.link.$$" "$target/$name"
# earlier folders of this name that no running process was started from (their stamps start with the jar's size)
for d in "$target/$name"-[0-9]*; do
    [ -d "$d" ] && [ "$d" != "$out" ] || continue
    if ! grep -qsF -- "$d" /proc/[0-9]*/cmdline; then
        rm -rf "$d"
    fi
done
rm -rf "$target/$name".tmp.*
echo "runtime laid out in $out (target/$name links to it)"
