#!/usr/bin/env bash
# Instructions per request of the gateway's GET /api/movies/:id hop, per
# layer, counted by valgrind's callgrind: repeatable whatever else runs on
# the machine, unlike wall-clock benchmarks (scripts/bench.sh).
#
# Starts inventory-app (release, natively) on a fresh database of 1 000
# movies and api-gateway-app (release) under callgrind with instrumentation
# off; after a warm-up it switches instrumentation on, runs wrk for
# CG_DURATION seconds, dumps the counts and prints, per layer (grouped by the
# crate of each function's self cost), instructions per request. Needs
# PostgreSQL (127.0.0.1:5432, trust), valgrind, wrk.
#
# Knobs: CG_DURATION (20 s), CG_CONNECTIONS (8), CG_PORT_BASE (18200),
# CARGO_TARGET_DIR, CG_SKIP_BUILD=1 (use the release binaries already built),
# CG_KEEP=DIR (keep the callgrind output there for callgrind_annotate).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${CG_DURATION:-20}
CONN=${CG_CONNECTIONS:-8}
PORT_BASE=${CG_PORT_BASE:-18200}
INV_PORT=$PORT_BASE
GW_PORT=$((PORT_BASE + 1))
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
DB=callgrind_$$_movies
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)
WORK=$(mktemp -d)

log() { printf '==> %s\n' "$*" >&2; }
for tool in valgrind callgrind_control callgrind_annotate wrk psql curl python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z ${CG_SKIP_BUILD:-} ]]; then
    log "cargo build --release -p inventory-app -p api-gateway-app"
    CARGO_TARGET_DIR=$TARGET cargo build --release --locked -q -p inventory-app -p api-gateway-app
fi

wait_ready() { # url seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}

"${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$DB\""
env HTTP_HOST=127.0.0.1 HTTP_PORT="$INV_PORT" PGDATABASE="$DB" RUST_LOG=info LOG_FORMAT=json \
    "$TARGET/release/inventory-app" >"$WORK/inventory.log" 2>&1 &
PIDS+=("$!")
wait_ready "http://127.0.0.1:$INV_PORT/readyz" 30
"${PSQL[@]}" -d "$DB" -c \
    "INSERT INTO movies (title, description) SELECT 'Movie ' || g, repeat('description ', 5) FROM generate_series(1, 1000) g"
ID=$("${PSQL[@]}" -d "$DB" -Atc "SELECT id FROM movies ORDER BY id LIMIT 1 OFFSET 499")

OUT=$WORK/callgrind.out
env HTTP_HOST=127.0.0.1 HTTP_PORT="$GW_PORT" INVENTORY_URL="http://127.0.0.1:$INV_PORT" \
    RUST_LOG=info LOG_FORMAT=json \
    valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT" \
    "$TARGET/release/api-gateway-app" >"$WORK/gateway.log" 2>"$WORK/valgrind.log" &
GW_PID=$!
PIDS+=("$GW_PID")
wait_ready "http://127.0.0.1:$GW_PORT/readyz" 120
URL="http://127.0.0.1:$GW_PORT/api/movies/$ID"
log "warm-up"
wrk -t1 -c"$CONN" -d3s "$URL" >/dev/null 2>&1 || true

log "callgrind on, wrk -c$CONN -d${DURATION}s"
callgrind_control -i on "$GW_PID" >/dev/null
wrk -t1 -c"$CONN" -d"${DURATION}s" "$URL" >"$WORK/wrk.out" 2>&1 || true
callgrind_control -d "$GW_PID" >/dev/null
callgrind_control -i off "$GW_PID" >/dev/null
REQS=$(awk '/requests in/ {print $1}' "$WORK/wrk.out")
ERRS=$(awk '/Non-2xx/ {print $NF}' "$WORK/wrk.out")
log "$REQS requests (non-2xx: ${ERRS:-0})"

DUMP=$(ls -t "$OUT".* 2>/dev/null | head -1)
[[ -n $DUMP ]] || DUMP=$OUT
callgrind_annotate --inclusive=no --auto=no --threshold=100 "$DUMP" 2>/dev/null >"$WORK/self.txt"
python3 "$ROOT/scripts/bench/callgrind_layers.py" "$WORK/self.txt" "$REQS"
if [[ -n ${CG_KEEP:-} ]]; then
    mkdir -p "$CG_KEEP"
    cp "$DUMP" "$CG_KEEP/callgrind.out"
    cp "$WORK/self.txt" "$CG_KEEP/self.txt"
    log "kept in $CG_KEEP (callgrind_annotate --inclusive=yes $CG_KEEP/callgrind.out)"
fi
