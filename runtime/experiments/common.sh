# Shared by the experiment scripts: training runs through the headless runtime and reading their final scores.
# Source it from the repository root.

# train NAME PRESET [key=value ...]: trains runs/NAME afresh unless KEEP=1 and it already completed. With ONLY
# set to a space-separated list of run names, runs not in it are left alone (to take a protocol in another order).
train() {
    local name=$1 preset=$2; shift 2
    if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $name "* ]]; then
        return
    fi
    if [ "${KEEP:-0}" = 1 ] && grep -q '"COMPLETED"' "runs/$name/status.json" 2>/dev/null; then
        echo "== $name: kept (KEEP=1)"
        return
    fi
    rm -rf "runs/$name"
    echo "== $name: $preset $*"
    runtime/jgan run "$preset" name="$name" progressInterval=60 "$@" | grep -E '^jgan:' || true
}

# The line in a results file below which its text is written by hand (how the runs were made, what they show).
NOTES_MARK='<!-- Written by hand below this line; the experiment scripts keep it when they rewrite the tables above. -->'

# write_results FILE: writes standard input (a script's generated tables) to FILE, followed by what FILE held below
# NOTES_MARK, so rerunning an experiment renews its tables without erasing the account written by hand.
write_results() {
    local file=$1 notes
    notes=$(mktemp)
    [ -f "$file" ] && awk -v m="$NOTES_MARK" 'below {print} $0 == m {below = 1}' "$file" > "$notes"
    { cat; echo; echo "$NOTES_MARK"; cat "$notes"; } > "$file.tmp"
    mv "$file.tmp" "$file"
    rm -f "$notes"
}
