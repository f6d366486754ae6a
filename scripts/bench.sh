#!/usr/bin/env bash
# Benchmark of the three services on loopback (issue 2, item 8). Not part of
# the test command. Bounded: every wrk run lasts BENCH_DURATION seconds.
#
# Measures, with Debian's wrk (installed if missing) and a release build:
#   - GET /api/movies/:id directly on inventory-app, through the gateway and
#     through nginx (Debian package, installed if missing; 2 workers, a
#     keep-alive upstream pool of 64, access log on) as the reference proxy,
#     in BENCH_REPS alternating rounds, with each hop's ratio to direct
#   - GET /api/movies with 1 000 rows, POST /api/movies
#   - POST /api/billing through the gateway (publisher confirms)
#   - billing-app drain rate for BENCH_PUBLISH (5 000) queued orders
#   - GET /api/movies (1 000 rows) and POST /api/movies, direct and via the gateway
#   - idle and peak RSS and start-to-ready time of each service
#   - pgbench -S TPS at the same concurrency: the database ceiling
# and prints a table. Needs PostgreSQL (127.0.0.1:5432, trust) and RabbitMQ
# (127.0.0.1:5672, guest/guest). Services that fail to build or start are
# reported as missing and their rows skipped.
#
# The services log at RUST_LOG=info (the default: one access-log line per
# request) into files, as nginx writes its access log.
#
# Knobs: BENCH_DURATION (10 s), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_REPS (3), BENCH_PUBLISH (5000), BENCH_PORT_BASE (18100),
# BENCH_RUST_LOG (info), CARGO_TARGET_DIR, BENCH_SKIP_BUILD=1 (use the
# release binaries already built).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-10}
CONN=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
PUBLISH=${BENCH_PUBLISH:-5000}
PORT_BASE=${BENCH_PORT_BASE:-18100}
INV_PORT=$PORT_BASE
BILL_PORT=$((PORT_BASE + 1))
GW_PORT=$((PORT_BASE + 2))
NGINX_PORT=$((PORT_BASE + 3))
REPS=${BENCH_REPS:-3}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
TAG=bench_$$
INV_DB=${TAG}_movies
BILL_DB=${TAG}_orders
PGB_DB=${TAG}_pgbench
QUEUE=${TAG}_billing
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres)
WORK=$(mktemp -d)

log() { printf '==> %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || missing+=(nginx)
if ((${#missing[@]})); then
    log "installing ${missing[*]} (Debian packages)"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
for tool in pgbench psql curl; do
    command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 1; }
done

# --- cleanup ---------------------------------------------------------------
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    for db in "$INV_DB" "$BILL_DB" "$PGB_DB"; do
        "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" 2>/dev/null || true
    done
    if command -v rabbitmqctl >/dev/null; then
        timeout 30 rabbitmqctl -q delete_queue "$QUEUE" >/dev/null 2>&1 || true
        timeout 30 rabbitmqctl -q delete_queue "$QUEUE.dlq" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# --- build -----------------------------------------------------------------
declare -A BIN=()
for app in inventory-app api-gateway-app billing-app; do
    if [[ -n ${BENCH_SKIP_BUILD:-} && -x $TARGET/release/$app ]]; then
        BIN[$app]=$TARGET/release/$app
        continue
    fi
    log "cargo build --release -p $app"
    if CARGO_TARGET_DIR=$TARGET cargo build --release --locked -q -p "$app" 2>"$WORK/build-$app.log"; then
        BIN[$app]=$TARGET/release/$app
    else
        log "$app does not build; its rows are skipped (see below)"
        tail -5 "$WORK/build-$app.log" >&2
    fi
done

# --- helpers ---------------------------------------------------------------
wait_ready() { # url seconds
    local deadline=$((SECONDS + $2))
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.2
    done
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f", kb / 1024 }'; }

# start-to-ready: from the launch to the first 200 of /readyz, polled every
# 5 ms (each poll is a curl process, so the figure errs a few ms high)
wait_ready_ms() { # url seconds -> prints milliseconds
    local t0 deadline=$((SECONDS + $2))
    t0=$(date +%s%N)
    until curl -fsS -o /dev/null "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.005
    done
    echo $((($(date +%s%N) - t0) / 1000000))
}

declare -A PID=() IDLE=() READY_MS=()
start() { # app port env...
    local app=$1 port=$2; shift 2
    [[ -n ${BIN[$app]:-} ]] || return 1
    env HTTP_HOST=127.0.0.1 HTTP_PORT="$port" RUST_LOG="${BENCH_RUST_LOG:-info}" LOG_FORMAT=json \
        BILLING_QUEUE="$QUEUE" "$@" "${BIN[$app]}" >"$WORK/$app.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    if ! READY_MS[$app]=$(wait_ready_ms "http://127.0.0.1:$port/readyz" 30); then
        log "$app did not become ready; log tail:"
        tail -5 "$WORK/$app.log" >&2
        return 1
    fi
    PID[$app]=$pid
    sleep 1
    IDLE[$app]=$(rss_kb "$pid")
}

ROWS=()
# run_wrk label url [script [script-args]]
run_wrk() {
    local label=$1 url=$2 script=${3:-} out="$WORK/wrk.out"
    local args=(-t"$THREADS" -c"$CONN" -d"${DURATION}s" --latency --timeout 10s)
    [[ -n $script ]] && args+=(-s "$ROOT/scripts/bench/$script")
    log "wrk $label"
    wrk "${args[@]}" "$url" >"$out" 2>&1 || true
    local rps p50 p99 errs
    rps=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$out")
    p50=$(awk '$1 == "50%" {print $2}' "$out")
    p99=$(awk '$1 == "99%" {print $2}' "$out")
    errs=$(awk '/Non-2xx or 3xx responses:/ {n += $NF} /Socket errors:/ {for (i = 4; i <= NF; i += 2) n += $i} END {print n + 0}' "$out")
    ROWS+=("$(printf '%-50s %10s %10s %10s %8s' "$label" "${rps:-?}" "${p50:-?}" "${p99:-?}" "$errs")")
    LAST_RPS=${rps:-0}
}
LAST_RPS=0

NOTES=()

# nginx as the reference reverse proxy in front of inventory-app
start_nginx() {
    cat >"$WORK/nginx.conf" <<NGINX
worker_processes 2;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log $WORK/nginx-access.log;
    upstream inventory { server 127.0.0.1:$INV_PORT; keepalive 64; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        location / {
            proxy_pass http://inventory;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
NGINX
    nginx -c "$WORK/nginx.conf" -g 'daemon off;' >"$WORK/nginx.out" 2>&1 &
    PIDS+=("$!")
    wait_ready "http://127.0.0.1:$NGINX_PORT/readyz" 10
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print (NR ? a[int((NR + 1) / 2)] : 0)}'; }

# --- inventory, gateway, nginx: GET :id in alternating rounds --------------
"${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$INV_DB\""
DIRECT=0 GATEWAY=0 NGINX=0
if start inventory-app "$INV_PORT" PGDATABASE="$INV_DB"; then
    "${PSQL[@]}" -d "$INV_DB" -c \
        "INSERT INTO movies (title, description) SELECT 'Movie ' || g, repeat('description ', 5) FROM generate_series(1, 1000) g"
    ID=$("${PSQL[@]}" -d "$INV_DB" -Atc "SELECT id FROM movies ORDER BY id LIMIT 1 OFFSET 499")
    start api-gateway-app "$GW_PORT" INVENTORY_URL="http://127.0.0.1:$INV_PORT" ||
        NOTES+=("api-gateway-app missing or not ready: no gateway rows")
    start_nginx || NOTES+=("nginx did not start: no reference row (see $WORK/nginx-error.log)")
    declare -a R_DIRECT=() R_GATEWAY=() R_NGINX=()
    for round in $(seq "$REPS"); do
        run_wrk "GET /api/movies/:id direct (round $round)" "http://127.0.0.1:$INV_PORT/api/movies/$ID"
        R_DIRECT+=("$LAST_RPS")
        if [[ -n ${PID[api-gateway-app]:-} ]]; then
            run_wrk "GET /api/movies/:id via gateway (round $round)" "http://127.0.0.1:$GW_PORT/api/movies/$ID"
            R_GATEWAY+=("$LAST_RPS")
        fi
        run_wrk "GET /api/movies/:id via nginx (round $round)" "http://127.0.0.1:$NGINX_PORT/api/movies/$ID"
        R_NGINX+=("$LAST_RPS")
    done
    DIRECT=$(median "${R_DIRECT[@]}")
    GATEWAY=$(median "${R_GATEWAY[@]:-0}")
    NGINX=$(median "${R_NGINX[@]}")
else
    NOTES+=("inventory-app missing: no inventory rows")
fi

# the lists before the POSTs, which add rows
if [[ -n ${PID[inventory-app]:-} ]]; then
    run_wrk "GET /api/movies, 1000 rows (direct)" "http://127.0.0.1:$INV_PORT/api/movies"
    [[ -n ${PID[api-gateway-app]:-} ]] &&
        run_wrk "GET /api/movies, 1000 rows (via gateway)" "http://127.0.0.1:$GW_PORT/api/movies"
    run_wrk "POST /api/movies (direct)" "http://127.0.0.1:$INV_PORT/api/movies" post_movie.lua
    [[ -n ${PID[api-gateway-app]:-} ]] &&
        run_wrk "POST /api/movies (via gateway)" "http://127.0.0.1:$GW_PORT/api/movies" post_movie.lua
fi

# --- billing drain ---------------------------------------------------------
DRAIN="-"
if [[ -n ${PID[api-gateway-app]:-} ]]; then
    log "publishing $PUBLISH orders with billing-app stopped"
    wrk -t"$THREADS" -c"$THREADS" -d60s -s "$ROOT/scripts/bench/post_billing_limited.lua" \
        "http://127.0.0.1:$GW_PORT/api/billing" -- $((PUBLISH / THREADS)) >"$WORK/publish.out" 2>&1 || true
    QUEUED=$(timeout 30 rabbitmqctl -q list_queues name messages 2>/dev/null | awk -v q="$QUEUE" '$1 == q {print $2}')
    QUEUED=${QUEUED:-$PUBLISH}
    log "$QUEUED messages queued"
    "${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$BILL_DB\""
    t0=$(date +%s.%N)
    if start billing-app "$BILL_PORT" PGDATABASE="$BILL_DB"; then
        deadline=$((SECONDS + 120))
        tf="" nf=0
        while :; do
            n=$("${PSQL[@]}" -d "$BILL_DB" -Atc "SELECT count(*) FROM orders" 2>/dev/null || echo 0)
            if [[ -z $tf && $n -gt 0 ]]; then tf=$(date +%s.%N) nf=$n; fi
            ((n >= QUEUED)) && break
            ((SECONDS < deadline)) || { log "drain incomplete: $n of $QUEUED"; break; }
            sleep 0.05
        done
        t1=$(date +%s.%N)
        DRAIN=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
        ROWS+=("$(printf '%-50s %10s %10s %10s %8s' "billing drain, $n orders, incl. start-up (msg/s)" "$DRAIN" "-" "-" "$((QUEUED - n))")")
        if [[ -n $tf ]]; then
            STEADY=$(awk -v n="$((n - nf))" -v a="$tf" -v b="$t1" 'BEGIN { if (b > a && n > 0) printf "%.0f", n / (b - a); else print "-" }')
            [[ $STEADY == - ]] && NOTES+=("billing stored all $n orders between two polls of count(*): the drain itself is faster than the poll resolution; start-up dominates the first figure")
            ROWS+=("$(printf '%-50s %10s %10s %10s %8s' "billing drain, from first stored row (msg/s)" "$STEADY" "-" "-" "-")")
        fi
    else
        NOTES+=("billing-app missing or not ready: no drain figure")
    fi
    run_wrk "POST /api/billing (gateway, confirms)" "http://127.0.0.1:$GW_PORT/api/billing" post_billing.lua
fi

# --- a list of 100 000 movies through the gateway (streamed) ----------------
if [[ -n ${PID[api-gateway-app]:-} ]]; then
    "${PSQL[@]}" -d "$INV_DB" -c \
        "INSERT INTO movies (title, description) SELECT 'Movie ' || g, repeat('description ', 5) FROM generate_series(1, 100000 - (SELECT count(*) FROM movies)) g"
    before_gw=$(hwm_kb "${PID[api-gateway-app]}") before_inv=$(hwm_kb "${PID[inventory-app]}")
    rows=$("${PSQL[@]}" -d "$INV_DB" -Atc "SELECT count(*) FROM movies")
    log "GET /api/movies with $rows rows through the gateway"
    read -r code ttfb total size < <(curl -s -o /dev/null -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' \
        "http://127.0.0.1:$GW_PORT/api/movies")
    LIST_ROW="GET /api/movies, $rows rows via gateway: $code, $(mb $((size / 1024))) MB, first byte $(awk -v t="$ttfb" 'BEGIN { printf "%.1f", t * 1000 }') ms, total $(awk -v t="$total" 'BEGIN { printf "%.0f", t * 1000 }') ms"
    LIST_RSS="peak RSS before/after that list: gateway $(mb "$before_gw")/$(mb "$(hwm_kb "${PID[api-gateway-app]}")") MB, inventory $(mb "$before_inv")/$(mb "$(hwm_kb "${PID[inventory-app]}")") MB"
fi

# --- pgbench ceiling -------------------------------------------------------
log "pgbench -S -c $CONN"
"${PSQL[@]}" -d postgres -c "CREATE DATABASE \"$PGB_DB\""
pgbench -q -i -s 10 -h 127.0.0.1 -U postgres "$PGB_DB" >/dev/null 2>&1
PGB=$(pgbench -S -n -c "$CONN" -j "$THREADS" -T "$DURATION" -h 127.0.0.1 -U postgres "$PGB_DB" 2>/dev/null |
    awk '/^tps/ {printf "%.0f", $3}')
ROWS+=("$(printf '%-50s %10s %10s %10s %8s' "pgbench -S -c $CONN (ceiling, TPS)" "${PGB:-?}" "-" "-" "-")")

# --- report ----------------------------------------------------------------
echo
echo "Benchmark: $(nproc) CPUs, wrk -t$THREADS -c$CONN -d${DURATION}s, loopback, release build"
printf '%-50s %10s %10s %10s %8s\n' "scenario" "req/s" "p50" "p99" "errors"
printf '%s\n' "${ROWS[@]}"
echo
printf '%-20s %12s %12s %16s\n' "service" "idle RSS MB" "peak RSS MB" "start-to-ready ms"
for app in inventory-app api-gateway-app billing-app; do
    if [[ -n ${PID[$app]:-} ]]; then
        printf '%-20s %12s %12s %16s\n' "$app" "$(mb "${IDLE[$app]}")" "$(mb "$(hwm_kb "${PID[$app]}")")" "${READY_MS[$app]:-?}"
    else
        printf '%-20s %12s %12s %16s\n' "$app" "-" "-" "-"
    fi
done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
echo "GET :id medians of $REPS rounds: direct $DIRECT, gateway $GATEWAY, nginx $NGINX req/s"
echo "gateway / direct (target >= 80% and >= nginx): $(ratio "$GATEWAY" "$DIRECT")"
echo "nginx / direct (the reference hop):           $(ratio "$NGINX" "$DIRECT")"
echo "GET :id direct / pgbench -S (target >= 50%): $(ratio "$DIRECT" "${PGB:-0}")"
[[ -n ${LIST_ROW:-} ]] && printf '%s\n%s\n' "$LIST_ROW" "$LIST_RSS"
for n in "${NOTES[@]}"; do echo "note: $n"; done
