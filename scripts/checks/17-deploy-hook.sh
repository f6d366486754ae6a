#!/usr/bin/env bash
# The smoke-gate function (apps/deploy-hook) under cargo-lambda's local Lambda
# emulation, against the real services (scripts/lib/stack.sh starts them):
#   `cargo lambda watch` serves the Lambda Runtime and Invoke APIs on a free
#   loopback port and runs the function, built natively (debug profile, the
#   workspace's target/: no cross toolchain, nothing downloaded);
#   `cargo lambda invoke` sends it the recorded POST_TEST_TRAFFIC_SHIFT event
#   (apps/deploy-hook/tests/events/post-test-traffic-shift.json) with its
#   base_url pointed at the running inventory-app: the answer must be exactly
#   {"hookStatus": "SUCCEEDED"}, with one JSON log line per checked path.
# Broken fixtures that must answer FAILED, for the reason they were written
# for: the same event pointed at a closed port, and the committed event with
# malformed hookDetails (tests/events/malformed-hook-details.json).
# The handler's own tests are `cargo test -p deploy-hook`.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="$ROOT/.cache/venv"
EVENTS="$ROOT/apps/deploy-hook/tests/events"
[ -x "$VENV/bin/cargo-lambda" ] || { echo "17-deploy-hook: $VENV/bin/cargo-lambda missing (run scripts/install-tools.sh)" >&2; exit 1; }
export PATH="$VENV/bin:$PATH"

source scripts/lib/stack.sh
source scripts/lib/expect.sh
stack_start

# The emulator and the function, in a process group of their own, stopped
# before the stack (whose trap this one replaces).
cargo build -q --locked -p deploy-hook
port="$(stack_free_port)"
WATCH_LOG="$STACK_DIR/watch.log"
WATCH_PID=""
watch_stop() {
    [ -z "$WATCH_PID" ] && return 0
    kill -TERM -- "-$WATCH_PID" 2>/dev/null || true
    wait "$WATCH_PID" 2>/dev/null || true
    WATCH_PID=""
}
trap 'watch_stop; stack_stop' EXIT
# Offline: the dependencies were fetched by the build above; the emulator
# builds and runs the function with cargo alone (no zig, no download).
CARGO_NET_OFFLINE=true setsid cargo lambda watch --package deploy-hook --locked --ignore-changes --quiet \
    --invoke-address 127.0.0.1 --invoke-port "$port" \
    --env-var RUST_LOG=info >"$WATCH_LOG" 2>&1 &
WATCH_PID="$!"
for _ in $(seq 1 120); do
    curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" && break
    kill -0 "$WATCH_PID" 2>/dev/null || { echo "17-deploy-hook: cargo lambda watch exited:" >&2; cat "$WATCH_LOG" >&2; exit 1; }
    sleep 0.5
done
echo "17-deploy-hook: cargo lambda watch on 127.0.0.1:$port, inventory-app at $STACK_INVENTORY_URL"

# event_at BASE_URL OUT: the recorded event with hookDetails.base_url replaced.
event_at() {
    python3 - "$EVENTS/post-test-traffic-shift.json" "$1" "$2" <<'PY'
import json, sys
src, base_url, dst = sys.argv[1:]
event = json.load(open(src))
event["hookDetails"]["base_url"] = base_url
json.dump(event, open(dst, "w"))
PY
}

# gate_succeeds EVENT: invokes the function; prints `hookStatus X` and the
# function's log lines of this invocation (the checks and the verdict);
# succeeds only on exactly {"hookStatus": "SUCCEEDED"} with one well-formed
# `smoke check` line per path of the event.
gate_succeeds() {
    local event="$1" before answer
    before="$(wc -l <"$WATCH_LOG")"
    answer="$STACK_DIR/answer.json"
    cargo lambda invoke deploy-hook --invoke-address 127.0.0.1 --invoke-port "$port" \
        --data-file "$event" --output-format json >"$answer" || return 1
    sleep 0.2 # the function's last log line may trail its answer
    python3 - "$event" "$answer" "$WATCH_LOG" "$before" <<'PY'
import json, sys
event_path, answer_path, log_path, before = sys.argv[1:]
answer = json.load(open(answer_path))
print("hookStatus", answer.get("hookStatus"), "| response", json.dumps(answer))
lines = []
for raw in open(log_path).read().splitlines()[int(before):]:
    start = raw.find("{")
    try:
        line = json.loads(raw[start:]) if start >= 0 else None
    except ValueError:
        line = None
    if isinstance(line, dict) and str(line.get("message", "")).startswith("smoke "):
        lines.append(line)
        print(json.dumps(line))
if answer != {"hookStatus": "SUCCEEDED"}:
    sys.exit(1)
paths = json.load(open(event_path))["hookDetails"]["paths"]
checks = [l for l in lines if l["message"] == "smoke check"]
if [c.get("path") for c in checks] != paths:
    sys.exit(f"expected one `smoke check` log line per path {paths}, got {[c.get('path') for c in checks]}")
for c in checks:
    missing = {"path", "url", "status", "latency_ms", "passed", "reason"} - set(c)
    if missing:
        sys.exit(f"log line lacks {sorted(missing)}: {c}")
PY
}

expect_init 17-deploy-hook
event_at "$STACK_INVENTORY_URL" "$STACK_DIR/event-inventory.json"
expect_pass "the recorded event against the running inventory-app answers SUCCEEDED" \
    gate_succeeds "$STACK_DIR/event-inventory.json"
event_at "http://127.0.0.1:$(stack_free_port)" "$STACK_DIR/event-closed.json"
expect_fail "the recorded event against a closed port answers FAILED" \
    '"reason": ?"could not connect: .*[Cc]onnection refused' gate_succeeds "$STACK_DIR/event-closed.json"
expect_fail "the committed malformed event answers FAILED" \
    '"reason": ?"hookDetails: invalid type: string' gate_succeeds "$EVENTS/malformed-hook-details.json"
expect_finish "cargo lambda watch + invoke: recorded event SUCCEEDED against inventory-app; closed port and malformed hookDetails FAILED"
