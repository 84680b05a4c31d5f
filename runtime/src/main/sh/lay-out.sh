#!/usr/bin/env bash
# Lays the exported runtime target/jgan.jar out as a folder that runtime/jgan starts from: the bundles as files that
# Felix installs by reference (reference:file:), and bundles with jars on their Bundle-ClassPath (the ND4J bundle,
# 337 MB) as folders, so that Felix opens those jars in place. Started from jgan.jar itself, Felix copies every
# bundle into each process's cache and unpacks the ND4J bundle's jars there: 655 MB and about a second per process.
#
# The folder is started through bnd's launcher in file mode (folder.properties: the bundles by absolute path; the
# framework and the launcher on the class path as jars), so that the JVM can map the classes a start loads from a
# class-data sharing archive, jgan.jsa, which this script writes by two short training runs (JDK CDS: the classes
# parsed and verified once; a JVM refuses archives from a class path with folders on it).
#
# Each build of the jar gets its own folder, target/jgan-<size>-<mtime>, with the jar's size and time in .from; the
# link target/jgan is switched to it atomically. Processes started from an earlier folder keep reading it (Felix loads
# classes from referenced bundles lazily), so a folder is removed only once no process names it on its command line.
#
#   lay-out.sh TARGET [NAME]   NAME (default jgan): the CUDA runtime (mvn -Pcuda) passes jgan-cuda; the exported
#                              jgan.jar is then renamed NAME.jar first and laid out as target/NAME
set -euo pipefail
target="$(cd "$1" && pwd -P)"
name="${2:-jgan}"
jar="$target/$name.jar"
if [ "$name" != jgan ]; then
    mv -f "$target/jgan.jar" "$jar"
fi
stamp="$(stat -c '%s-%Y' "$jar")"
# own_classes_into_jar FOLDER: a bundle laid out as a folder with its own classes (".") on its Bundle-ClassPath gets
# them, and whatever else its root holds beside META-INF and lib, as the jar lib/bundle-root.jar in that place
# instead, its entries stored (not deflated), like those of the jars a start reads most classes from (EmbeddedJars in
# the ND4J bundle's build). Felix resolves the links of every path it asks a folder for (File.getCanonicalPath, a
# readlink per path component), and JavaCPP asks the ND4J bundle's class path for each of its native libraries under
# many names, most of them missing everywhere: ND4J's load took 0.5-0.7 s instead of 0.8-1.0 (docs/architectures.md).
own_classes_into_jar() {
    local b="$1" manifest="$1/META-INF/MANIFEST.MF" cp entries
    cp=$(tr -d '\r' < "$manifest" | awk '/^Bundle-ClassPath: / { on = 1; line = substr($0, 19); next }
                                         on && /^ / { line = line substr($0, 2); next }
                                         on { exit } END { print line }' | tr ',' '\n')
    grep -qx ' *\. *' <<< "$cp" || return 0
    entries=$(cd "$b" && ls -A | grep -vx -e META-INF -e lib) || true
    if [ -n "$entries" ]; then
        # (names from ls: a bundle's root holds packages and resources, no names with spaces or newlines)
        (cd "$b" && "$jartool" --create --no-compress --file lib/bundle-root.jar $entries && rm -rf $entries)
    fi
    LC_ALL=C awk 'BEGIN { ORS = "\r\n" }
        { sub(/\r$/, "") }
        /^ / && n { line[n] = line[n] substr($0, 2); next }
        { line[++n] = $0 }
        END {
            for (i = 1; i <= n; i++) {
                l = line[i]
                if (l ~ /^Bundle-ClassPath: /) {
                    k = split(substr(l, 19), e, ","); l = "Bundle-ClassPath: "
                    for (j = 1; j <= k; j++) {
                        gsub(/^ +| +$/, "", e[j]); l = l (j > 1 ? "," : "") (e[j] == "." ? "lib/bundle-root.jar" : e[j])
                    }
                }
                print substr(l, 1, 72)
                for (p = 73; p <= length(l); p += 71) print " " substr(l, p, 71)
            }
        }' "$manifest" > "$manifest.tmp"
    mv -f "$manifest.tmp" "$manifest"
}
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
            own_classes_into_jar "$b"
        fi
    done
    stat -c '%s %Y' "$jar" > "$tmp/.from"
    rm -rf "$out"
    mv -T "$tmp" "$out"
fi
# bnd's launcher in file mode: the same properties with the bundles named by their paths in this folder
# (folder.properties), and the framework and the launcher (the manifest's Embedded-Runpath) as the JVM's class path
# (.classpath). Written when missing (a folder laid out by an earlier version of this script) or naming other paths
# (a folder reached or laid out under another path), under temporary names and renamed; an archive of other paths
# goes too. A running runtime in file mode reloads folder.properties when it changes, so it is never rewritten
# otherwise.
if [ ! -f "$out/folder.properties" ] || [[ "$(cat "$out/.classpath" 2>/dev/null)" != "$out/"* ]]; then
    # (the folder's path through the environment: awk -v would read its backslashes as escapes; a backslash in a
    # properties file is escaped)
    OUT="$out" awk 'BEGIN { out = ENVIRON["OUT"]; gsub(/\\/, "\\\\", out) }
        /^launch\.embedded=/ { print "launch.embedded=false"; next }
        /^launch\.bundles=/ { n = split(substr($0, 16), b, ","); line = "launch.bundles="
                              for (i = 1; i <= n; i++) {
                                  sub(/^ +/, "", b[i]); line = line (i > 1 ? "," : "") out "/" b[i]
                              }
                              print line; next }
        { print }' "$out/launcher.properties" > "$out/folder.properties.tmp"
    sed -n '/^Embedded-Runpath:/,/^[^ ]/p' "$out/META-INF/MANIFEST.MF" | tr -d '\r' \
        | awk 'NR == 1 { sub(/^Embedded-Runpath: /, ""); line = $0; next } /^ / { line = line substr($0, 2); next }
               END { print line }' | tr ',' '\n' | OUT="$out" awk 'NF { sub(/^ +/, ""); print ENVIRON["OUT"] "/" $0 }' \
        | paste -sd: > "$out/.classpath.tmp"
    if ! grep -q '^launch\.embedded=false$' "$out/folder.properties.tmp" || [ ! -s "$out/.classpath.tmp" ]; then
        echo "lay-out: could not write $out/folder.properties and .classpath from the jar's launcher properties" >&2
        exit 1
    fi
    mv -f "$out/folder.properties.tmp" "$out/folder.properties"
    mv -f "$out/.classpath.tmp" "$out/.classpath"
    rm -f "$out/jgan.jsa"
fi
# the link, switched by rename (a folder of that name from an earlier version of this script goes first)
[ -L "$target/$name" ] || rm -rf "$target/$name"
ln -sfn "$name-$stamp" "$target/$name.link.$$"
mv -T "$target/$name.link.$$" "$target/$name"
# The class-data sharing archive: the classes a short default run loads (framework, bundles, ND4J's op classes),
# written by the JVM as that run exits; runtime/jgan passes it to every JVM it starts from this folder. Written under
# a temporary name and renamed, so that a start never maps a partial archive. Without it, starts work as before.
# Two runs: JDK 17's dynamic archive leaves out the classes that a framework's class loader loaded and nothing linked
# ("Skipping ...: Not linked" in -Xlog:cds; about 1,070 of them: ND4J's 549 JNI binding classes, which JavaCPP's
# JNI_OnLoad loads, its shaded protobuf, oneDNN's binding, Gson, ...), so the first run's archive is thrown
# away and its list of them given to the second, in which the ND4J bundle links them (jgan.cds.link) before it offers
# ND4J, so before the run can end the JVM.
if [ ! -f "$out/jgan.jsa" ]; then
    case "$name" in jgan-cuda) runtime=cuda ;; *) runtime=cpu ;; esac
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && mkdir -p tmp && TMPDIR="$work/tmp" JGAN_RUNTIME="$runtime" JGAN_HTTP_PORT=off \
        JAVA_OPTS="-XX:ArchiveClassesAtExit=$work/first.jsa -Xlog:cds=warning:file=$work/first.cds -Xlog:cds+dynamic=off -Djgan.cds.archiving=true" \
        "$target/../jgan" run default name=cds1 iterations=1 > first.out 2>&1) || true
    sed -n 's/.*Skipping \([^ ]*\): Not linked$/\1/p' "$work/first.cds" 2>/dev/null > "$work/link.txt" || true
    if (cd "$work" && mkdir -p tmp && TMPDIR="$work/tmp" JGAN_RUNTIME="$runtime" JGAN_HTTP_PORT=off \
            JAVA_OPTS="-XX:ArchiveClassesAtExit=$out/jgan.jsa.tmp -Xlog:cds=off -Xlog:cds+dynamic=off -Djgan.cds.archiving=true -Djgan.cds.link=$work/link.txt" \
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
