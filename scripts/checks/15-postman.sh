#!/usr/bin/env bash
# The committed Postman collection (docs/postman/) passes under newman against
# the real services on fresh databases (scripts/lib/stack.sh starts them), and
# a copy with one expected status changed fails with exactly that one
# assertion: the collection's assertions can fail. That every OpenAPI
# operation has a request in the collection is a cargo test
# (apps/api-gateway-app/tests/api/postman.rs).
set -euo pipefail
cd "$(dirname "$0")/../.."
NEWMAN="$PWD/.cache/newman/node_modules/.bin/newman"
COLLECTION=docs/postman/crud-master.postman_collection.json
ENVIRONMENT=docs/postman/local.postman_environment.json
[ -x "$NEWMAN" ] || { echo "15-postman: $NEWMAN missing (run scripts/install-tools.sh)" >&2; exit 1; }

source scripts/lib/stack.sh
source scripts/lib/expect.sh
stack_start

echo "15-postman: newman run $COLLECTION against $STACK_URL"
"$NEWMAN" run "$COLLECTION" -e "$ENVIRONMENT" --env-var baseUrl="$STACK_URL" --color off --disable-unicode

# The wrong copy: the audit's GET /api/movies/ now expects 201 instead of 200.
target="GET /api/movies/ (crud-master audit)"
broken="$STACK_DIR/broken.postman_collection.json"
python3 - "$COLLECTION" "$broken" "$target" <<'PY'
import json, sys
src, dst, name = sys.argv[1:]
collection = json.load(open(src))
changed = 0
for folder in collection["item"]:
    for item in folder.get("item", []):
        if item["name"] != name:
            continue
        for event in item["event"]:
            if event["listen"] == "test":
                lines = event["script"]["exec"]
                event["script"]["exec"] = [l.replace("to.have.status(200)", "to.have.status(201)") for l in lines]
                changed += event["script"]["exec"] != lines
if changed != 1:
    sys.exit(f"15-postman: could not derive the wrong copy (no request named {name!r} expecting 200)")
json.dump(collection, open(dst, "w"))
PY
report="$STACK_DIR/broken-report.json"
# broken_run: fails when newman fails, printing the requests whose assertions failed.
broken_run() {
    "$NEWMAN" run "$broken" -e "$ENVIRONMENT" --env-var baseUrl="$STACK_URL" \
        --reporters json --reporter-json-export "$report" >/dev/null 2>&1 && return 0
    python3 -c 'import json, sys
print("failed at:", ", ".join(f["source"]["name"] for f in json.load(open(sys.argv[1]))["run"]["failures"]))' "$report"
    return 1
}
expect_init 15-postman
# Exactly the target request, nothing else (its regex characters made literal).
literal="$(printf '%s' "$target" | sed 's/[().*+?|$]/[&]/g')"
expect_fail "the wrong copy must fail at \"$target\" and only there" "^failed at: $literal\$" broken_run
expect_finish "the collection passed; the wrong copy fails as it must (at \"$target\")"
