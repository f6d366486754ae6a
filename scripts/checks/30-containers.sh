#!/usr/bin/env bash
# Offline checks of the container setup (no Docker engine needed):
#   1. hadolint on every Dockerfile (.hadolint.yaml; warnings fail)
#   2. Dockerfile policy (scripts/containers/policy.py, tested by
#      test_policy.py next to it): final stage non-root 65532, contract HEALTHCHECK and
#      ENTRYPOINT, EXPOSE, OCI labels, no `latest`, shared build stages identical
#   3. `docker-compose config -q` with .env.example, with and without the
#      observability profile
#   4. compose policy on the normalised config: only the gateway published,
#      hardened app containers, health-gated depends_on, env vars that exist
#      in docs/contracts.md, named volumes
#   5. observability: prometheus.yml parses and scrapes every service, the
#      Grafana dashboard is JSON and uses every metric of docs/contracts.md
#   6. scripts/release.sh plans the right pushes and deploys (--dry-run)
# Each check also runs on a broken fixture (scripts/checks/fixtures/
# containers-broken/) that must fail, with the expected message.
# Quiet on success: one summary line. Tools: scripts/install-tools.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
VENV="$ROOT/.cache/venv"
BROKEN="$ROOT/scripts/checks/fixtures/containers-broken"
HADOLINT="$VENV/bin/hadolint"
COMPOSE="$VENV/bin/docker-compose"
PY="$VENV/bin/python"
for tool in "$HADOLINT" "$COMPOSE" "$PY"; do
    [ -x "$tool" ] || { echo "30-containers: $tool missing: run scripts/install-tools.sh" >&2; exit 1; }
done
"$PY" -c 'import yaml' 2>/dev/null || { echo "30-containers: PyYAML missing in $VENV: run scripts/install-tools.sh" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
source scripts/lib/expect.sh
expect_init 30-containers

# Compose must not see the caller's COMPOSE_* or credential variables: only
# the env file given.
compose() { env -i PATH="$PATH" HOME="${HOME:-/tmp}" "$COMPOSE" "$@"; }

# The policy rules (scripts/containers/policy.py; its tests: test_policy.py).
policy() { "$PY" scripts/containers/policy.py "$1" docs/contracts.md "${@:2}"; }

# ---- 1. hadolint
mapfile -t dockerfiles < <(ls Dockerfiles/*.Dockerfile)
expect_pass "hadolint Dockerfiles/" "$HADOLINT" --config .hadolint.yaml "${dockerfiles[@]}"
expect_fail "hadolint $BROKEN/hadolint/" "DL3007" "$HADOLINT" --config .hadolint.yaml "$BROKEN"/hadolint/*.Dockerfile
expect_fail "hadolint untrusted registry" "DL3026" "$HADOLINT" --config .hadolint.yaml "$BROKEN"/hadolint-registry/*.Dockerfile

# ---- 2. Dockerfile policy
expect_pass "Dockerfile policy" policy dockerfiles Dockerfiles
expect_fail "Dockerfile policy on $BROKEN/dockerfile-policy/" "USER 65532:65532" policy dockerfiles "$BROKEN/dockerfile-policy"

# ---- 3. compose config
expect_pass "docker-compose config" compose -f docker-compose.yml --env-file .env.example config -q
expect_pass "docker-compose config --profile observability" \
    compose -f docker-compose.yml --env-file .env.example --profile observability config -q
expect_fail "docker-compose config on $BROKEN/compose-invalid/" "restart_policy" \
    compose -f "$BROKEN/compose-invalid/docker-compose.yml" --env-file .env.example config -q
expect_fail "docker-compose config on $BROKEN/compose-undefined-volume/" "undefined volume" \
    compose -f "$BROKEN/compose-undefined-volume/docker-compose.yml" --env-file .env.example config -q

# ---- 4. compose policy (on the normalised config, all profiles)
compose -f docker-compose.yml --env-file .env.example --profile observability config --format json >"$TMP/compose.json" 2>"$TMP/compose.err" \
    || { cat "$TMP/compose.err" >&2; expect_note_fail "docker-compose config --format json"; }
expect_pass "compose policy" policy compose "$TMP/compose.json"
expect_pass "policy tests (scripts/containers/test_policy.py: each rule fails on a copy broken for it)" \
    env COMPOSE_JSON="$TMP/compose.json" "$PY" -m unittest scripts/containers/test_policy.py
compose --project-directory . -f "$BROKEN/compose-policy/docker-compose.yml" --env-file .env.example config --format json >"$TMP/broken.json" 2>"$TMP/compose.err" \
    || { cat "$TMP/compose.err" >&2; expect_note_fail "the compose-policy fixture must pass config (it tests the policy)"; }
expect_fail "compose policy on $BROKEN/compose-policy/" "only api-gateway-app|user must be 65532" policy compose "$TMP/broken.json"

# ---- 5. observability
OBS=deploy/observability
expect_pass "prometheus.yml" policy prometheus "$OBS/prometheus/prometheus.yml" "$TMP/compose.json"
expect_fail "prometheus.yml fixture (YAML)" "not YAML" policy prometheus "$BROKEN/prometheus/prometheus.yml" "$TMP/compose.json"
expect_fail "prometheus.yml fixture (targets)" "is not scraped" policy prometheus "$BROKEN/prometheus-targets/prometheus.yml" "$TMP/compose.json"
mapfile -t provisioning < <(find "$OBS/grafana/provisioning" -name '*.yml' -o -name '*.yaml')
expect_pass "Grafana provisioning YAML" policy yaml "${provisioning[@]}"
for d in "$OBS"/grafana/dashboards/*.json; do
    expect_pass "dashboard $d" policy dashboard "$d" "$OBS/grafana/provisioning/datasources"
done
expect_fail "dashboard fixture (JSON)" "not valid JSON" policy dashboard "$BROKEN/dashboard/golden-signals.json" "$OBS/grafana/provisioning/datasources"
expect_fail "dashboard fixture (metrics)" "no panel uses" policy dashboard "$BROKEN/dashboard-metrics/golden-signals.json" "$OBS/grafana/provisioning/datasources"

# ---- 6. release script (plans only: no engine, no AWS here). The sample
# outputs have the shape generated-tf/outputs.tf gives topology.toml: maps
# keyed by topology service name, repositories `<project>-<env>/<image>`.
cat >"$TMP/tf-outputs.json" <<'EOF'
{"region": {"sensitive": false, "type": "string", "value": "eu-west-3"},
 "ecs_cluster_name": {"sensitive": false, "type": "string", "value": "crud-master-prod"},
 "ecs_service_names": {"sensitive": false, "type": ["map", "string"], "value": {
   "api-gateway": "crud-master-prod-api-gateway",
   "billing": "crud-master-prod-billing",
   "inventory": "crud-master-prod-inventory"}},
 "ecr_repository_urls": {"sensitive": false, "type": ["map", "string"], "value": {
   "api-gateway": "123456789012.dkr.ecr.eu-west-3.amazonaws.com/crud-master-prod/api-gateway-app",
   "inventory": "123456789012.dkr.ecr.eu-west-3.amazonaws.com/crud-master-prod/inventory-app",
   "billing": "123456789012.dkr.ecr.eu-west-3.amazonaws.com/crud-master-prod/billing-app"}}}
EOF
ECR=123456789012.dkr.ecr.eu-west-3.amazonaws.com
# plan_has PLAN TEXT...: every TEXT is in PLAN, in this order (two on one line are fine).
plan_has() {
    local plan="$1" at=0 n w; shift
    for w in "$@"; do
        n="$(grep -nF -- "$w" "$plan" | head -n1 | cut -d: -f1)"
        [ -n "$n" ] || { echo "plan lacks: $w"; cat "$plan"; return 1; }
        [ "$n" -ge "$at" ] || { echo "plan has, out of order: $w"; cat "$plan"; return 1; }
        at="$n"
    done
}
release_plan() {
    bash -n scripts/release.sh || return 1
    scripts/release.sh --dry-run --allow-dirty --tag check-1 --outputs-json "$TMP/tf-outputs.json" >"$TMP/plan" 2>/dev/null || return 1
    plan_has "$TMP/plan" \
        "docker login --username AWS --password-stdin $ECR" \
        "--file Dockerfiles/inventory-app.Dockerfile" \
        "--tag $ECR/crud-master-prod/inventory-app:check-1 --push" \
        "--file Dockerfiles/billing-app.Dockerfile" \
        "--tag $ECR/crud-master-prod/billing-app:check-1 --push" \
        "--file Dockerfiles/api-gateway-app.Dockerfile" \
        "--tag $ECR/crud-master-prod/api-gateway-app:check-1 --push" \
        "infragen deploy --service inventory --image-tag check-1 --wait" \
        "infragen deploy --service billing --image-tag check-1 --wait" \
        "infragen deploy --service api-gateway --image-tag check-1 --wait" || return 1
    [ "$(grep -c 'docker buildx build' "$TMP/plan")" = 3 ] || { echo "expected 3 builds"; cat "$TMP/plan"; return 1; }
    [ "$(grep -c 'infragen deploy' "$TMP/plan")" = 3 ] || { echo "expected 3 deploys"; cat "$TMP/plan"; return 1; }
    # --service takes the topology name or the image (binary) name.
    local name
    for name in billing billing-app; do
        scripts/release.sh --dry-run --allow-dirty --tag check-1 --outputs-json "$TMP/tf-outputs.json" \
            --service "$name" >"$TMP/plan-one" 2>/dev/null || { echo "--service $name failed"; return 1; }
        plan_has "$TMP/plan-one" "--file Dockerfiles/billing-app.Dockerfile" \
            "infragen deploy --service billing --image-tag check-1 --wait" || return 1
        [ "$(grep -c 'docker buildx build\|infragen deploy' "$TMP/plan-one")" = 2 ] \
            || { echo "--service $name: expected one build and one deploy"; cat "$TMP/plan-one"; return 1; }
    done
}
expect_pass "release.sh --dry-run plan" release_plan
echo '{"region": {"value": "eu-west-3"}}' >"$TMP/tf-missing.json"
expect_fail "release.sh without ecr_repository_urls" "ecr_repository_urls" \
    scripts/release.sh --dry-run --allow-dirty --outputs-json "$TMP/tf-missing.json"
expect_fail "release.sh on $BROKEN/release-outputs/ (keyed by binary name)" "ecs_service_names lacks" \
    scripts/release.sh --dry-run --allow-dirty --outputs-json "$BROKEN/release-outputs/tf-outputs.json"
expect_fail "release.sh --service unknown" "unknown service 'payments'" \
    scripts/release.sh --dry-run --allow-dirty --outputs-json "$TMP/tf-outputs.json" --service payments

expect_finish "${#dockerfiles[@]} Dockerfiles, compose, observability, release plan; policy tests; broken fixtures rejected"
