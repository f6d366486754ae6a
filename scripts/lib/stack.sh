# shellcheck shell=bash
# The three services on free loopback ports, for the checks that call the
# running gateway (scripts/checks/15-postman.sh, 16-schemathesis.sh). Source it,
# then `stack_start`; the stack is stopped and its databases and queues removed
# when the sourcing script exits (trap), whatever happens.
#
#   stack_start   builds the service binaries if needed (`cargo build --bins`,
#                 a no-op after `cargo test --workspace`), creates two randomly
#                 named databases, starts inventory-app, billing-app and
#                 api-gateway-app with their documented variables
#                 (docs/contracts.md) on a random BILLING_QUEUE, waits for every
#                 /readyz, and sets:
#   STACK_URL     the gateway's base URL, e.g. http://127.0.0.1:40123
#   STACK_INVENTORY_URL  inventory-app's base URL (what an ALB target group
#                 of inventory reaches), e.g. http://127.0.0.1:40121
#   STACK_DIR     a temporary directory with one log file per service
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust) and RabbitMQ on 127.0.0.1:5672
# (guest/guest), like `cargo test`. Authentication stays off (AUTH_ENABLED unset).

STACK_PIDS=()
STACK_DBS=()
STACK_QUEUE=""
STACK_DIR=""
STACK_URL=""
STACK_INVENTORY_URL=""

stack_log() { echo "stack: $*" >&2; }

stack_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# stack_wait_ready NAME PORT: polls /readyz for up to 60 s; fails early if the process died.
stack_wait_ready() {
    local name="$1" port="$2" pid="$3" i
    for i in $(seq 1 120); do
        if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/readyz" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            stack_log "$name exited before it was ready; its log:"
            tail -n 30 "$STACK_DIR/$name.log" >&2
            return 1
        fi
        sleep 0.5
    done
    stack_log "$name not ready on port $port after 60 s; its log:"
    tail -n 30 "$STACK_DIR/$name.log" >&2
    return 1
}

# stack_run NAME PORT VAR=VALUE...: starts target/debug/NAME with the variables.
stack_run() {
    local name="$1" port="$2"
    shift 2
    env LOG_FORMAT=json RUST_LOG=warn HTTP_HOST=127.0.0.1 HTTP_PORT="$port" \
        SHUTDOWN_TIMEOUT_SECS=5 "$@" \
        "$STACK_ROOT/target/debug/$name" >"$STACK_DIR/$name.log" 2>&1 &
    STACK_PIDS+=("$!")
    stack_wait_ready "$name" "$port" "$!"
}

stack_stop() {
    local pid
    for pid in "${STACK_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${STACK_PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    STACK_PIDS=()
    local db
    for db in "${STACK_DBS[@]}"; do
        dropdb -h 127.0.0.1 -U postgres --if-exists --force "$db" 2>/dev/null \
            || stack_log "could not drop database $db"
    done
    STACK_DBS=()
    if [ -n "$STACK_QUEUE" ]; then
        local q
        for q in "$STACK_QUEUE" "$STACK_QUEUE.dlq"; do
            rabbitmqctl -q delete_queue "$q" >/dev/null 2>&1 || stack_log "could not delete queue $q"
        done
        STACK_QUEUE=""
    fi
    [ -z "$STACK_DIR" ] || rm -rf "$STACK_DIR"
    STACK_DIR=""
}

stack_start() {
    STACK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    trap stack_stop EXIT
    trap 'exit 130' INT TERM
    (cd "$STACK_ROOT" && cargo build -q --locked --bins -p inventory-app -p billing-app -p api-gateway-app)
    STACK_DIR="$(mktemp -d)"
    local id
    id="stack_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
    local movies="${id}_movies" orders="${id}_orders"
    STACK_QUEUE="${id}_billing"
    createdb -h 127.0.0.1 -U postgres "$movies"
    STACK_DBS+=("$movies")
    STACK_DBS+=("$orders") # billing-app creates its database itself
    local inventory billing gateway
    inventory="$(stack_free_port)"
    billing="$(stack_free_port)"
    gateway="$(stack_free_port)"
    stack_log "inventory :$inventory, billing :$billing, gateway :$gateway, databases $movies $orders, queue $STACK_QUEUE"
    stack_run inventory-app "$inventory" PGDATABASE="$movies"
    STACK_INVENTORY_URL="http://127.0.0.1:$inventory"
    stack_run billing-app "$billing" PGDATABASE="$orders" BILLING_QUEUE="$STACK_QUEUE"
    stack_run api-gateway-app "$gateway" BILLING_QUEUE="$STACK_QUEUE" \
        INVENTORY_URL="http://127.0.0.1:$inventory"
    STACK_URL="http://127.0.0.1:$gateway"
}
