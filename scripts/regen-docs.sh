#!/usr/bin/env bash
# Regenerate every file infragen generates from topology.toml and the model,
# so that the golden tests pass again:
#   docs/topology-reference.md  infragen schema --markdown   (tests: docs_up_to_date.rs)
#   docs/architecture.md        infragen graph --legend      (tests: docs_up_to_date.rs)
#   docs/cost.md                infragen cost --format markdown (tests: ops_cost.rs)
#   generated-tf/               infragen render              (CI: render --check)
#   docker-compose.yml          infragen compose             (CI: compose --check)
#   README.md                   only the ```mermaid block after a line
#                               `<!-- infragen graph -->`, if README.md has one
#                               (infragen graph --markdown), and the cost section
#                               between `<!-- infragen cost -->` and
#                               `<!-- /infragen cost -->` (docs/cost.md); nothing else.
# Usage: scripts/regen-docs.sh     (from anywhere; builds infragen once)
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p infragen
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
BIN="$TARGET_DIR/debug/infragen"
[ -x "$BIN" ] || { echo "regen-docs: $BIN not found after cargo build" >&2; exit 1; }
unset INFRAGEN_TOPOLOGY # the embedded default (topology.toml) throughout

# Moves the finished temporary file TMP onto TARGET when they differ, and
# says which happened (LABEL: what is reported).
install_if_changed() {
    local tmp=$1 target=$2 label=$3
    if cmp -s "$tmp" "$target"; then
        echo "unchanged  $label"
    else
        cat "$tmp" >"$target" # keeps the file's mode
        echo "updated    $label"
    fi
    rm -f "$tmp"
}

# Write to a temporary file first: a failing command leaves the old file.
write() {
    local target=$1
    shift
    local tmp
    tmp=$(mktemp "$target.XXXXXX")
    if "$BIN" "$@" >"$tmp"; then
        install_if_changed "$tmp" "$target" "$target"
    else
        rm -f "$tmp"
        echo "regen-docs: infragen $* failed" >&2
        exit 1
    fi
}

mkdir -p docs
write docs/topology-reference.md schema --markdown
write docs/architecture.md graph --legend
write docs/cost.md cost --format markdown
"$BIN" render --out generated-tf
"$BIN" compose --out docker-compose.yml

MARKER='<!-- infragen graph -->'
if grep -qxF "$MARKER" README.md 2>/dev/null; then
    block=$(mktemp)
    tmp=$(mktemp README.md.XXXXXX)
    "$BIN" graph --markdown >"$block"
    # Keep everything; after the marker line (and blank lines), replace an
    # existing ```mermaid block, or insert the block if there is none.
    awk -v marker="$MARKER" -v blockfile="$block" '
        function emit_block(  line) {
            while ((getline line < blockfile) > 0) print line
            close(blockfile)
        }
        state == 0 { print; if ($0 == marker) state = 1; next }
        state == 1 && /^[[:space:]]*$/ { print; next }
        state == 1 && /^```mermaid[[:space:]]*$/ { state = 2; next }
        state == 1 { emit_block(); print ""; state = 3; print; next }
        state == 2 { if ($0 ~ /^```[[:space:]]*$/) { emit_block(); state = 3 }; next }
        { print }
        END { if (state == 1) emit_block() }
    ' README.md >"$tmp"
    rm -f "$block"
    install_if_changed "$tmp" README.md "README.md (diagram block)"
fi

# The cost section: docs/cost.md between its two marker lines.
if grep -qxF '<!-- infragen cost -->' README.md 2>/dev/null; then
    tmp=$(mktemp README.md.XXXXXX)
    awk -v costfile=docs/cost.md '
        $0 == "<!-- infragen cost -->" { print; while ((getline line < costfile) > 0) print line; skip = 1; next }
        $0 == "<!-- /infragen cost -->" { skip = 0 }
        !skip { print }
    ' README.md >"$tmp"
    install_if_changed "$tmp" README.md "README.md (cost section)"
fi
