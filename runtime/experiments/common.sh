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

# score NAME METRIC: the metric's value at the run's last evaluation (metrics.csv), or "-".
score() {
    awk -F, -v m="$2" 'NR > 1 && $2 == m {v = $3} END {print (v == "" ? "-" : v)}' "runs/$1/metrics.csv" 2>/dev/null || echo "-"
}

# fmt VALUE DIGITS: a number with DIGITS decimals, "-" stays "-".
fmt() {
    if [ "$1" = "-" ]; then echo "-"; else printf "%.${2}f" "$1"; fi
}

# mean_sd VALUES...: "mean ± sd" (sample standard deviation) of the numbers given.
mean_sd() {
    printf '%s\n' "$@" | awk -v d="${DIGITS:-2}" '$1 != "-" {n++; s += $1; q += $1 * $1}
        END {if (n == 0) {print "-"; exit} m = s / n; v = n > 1 ? (q - n * m * m) / (n - 1) : 0;
             if (v < 0) v = 0; printf "%." d "f ± %." d "f", m, sqrt(v)}'
}

# feature_header: the header of a table of feature scores.
feature_header() {
    echo "| run | FD | KID (± se) | precision | recall | CS |"
    echo "|---|---|---|---|---|---|"
}

# feature_row NAME ITERATIONS DIR: a table row of the run's final feature scores; copies its last sample grid to DIR.
feature_row() {
    local n=$1 kid se kidc
    kid=$(score "$n" features.kid); se=$(score "$n" features.kid_se)
    kidc="-"; [ "$kid" != "-" ] && kidc=$(awk -v k="$kid" -v s="$se" 'BEGIN {printf "%.2f ± %.2f", k, s}')
    echo "| $n | $(fmt "$(score "$n" features.fd)" 2) | $kidc | $(fmt "$(score "$n" features.precision)" 3) |" \
        "$(fmt "$(score "$n" features.recall)" 3) | $(fmt "$(score "$n" features.cs)" 2) |"
    cp "runs/$n/samples/$(printf "iter-%07d-samples.png" "$2")" "$3/$n.png" 2>/dev/null || true
}
