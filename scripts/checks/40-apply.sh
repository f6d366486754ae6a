#!/usr/bin/env bash
# Real-provider apply check (see scripts/tf/README.md, "Real-provider apply
# check"): for generated-tf/ and each infragen/core/tests/fixtures/valid/*.toml
# rendered with `infragen render` into a temporary directory, in a scratch copy
# mapped to hashicorp/aws 5.100.0 (scripts/tf/to-provider5.sh) and pointed at a
# moto server this check starts on a free port (scripts/tf/moto_server.py):
#   terraform init -plugin-dir=/opt/tf-plugins, validate, plan, apply;
#   a second `plan -detailed-exitcode` must show no changes (no perpetual diff);
#   with an Amazon MQ broker: re-rendered with broker.adopt_log_groups, the
#   apply imports the broker's log group, and the plan after it is empty;
#   generated-tf only: the change plan (scripts/tf/change_topology.py rendered)
#   must plan without error against the applied state, and the broker it
#   replaces must get the password its secret holds
#   (scripts/tf/replaced_broker_password.py);
#   deletion protection lifted (apply), then destroy must succeed.
# Then the broken fixtures in scripts/checks/fixtures/apply-broken/ must fail,
# each for its own reason; the check fails if one of them passes.
# Topologies run as parallel jobs, each with its own moto. Quiet on success:
# one line per topology with its timings.
# Terraform: $TERRAFORM, else /usr/local/bin/terraform. Provider: $TF_PROVIDER5_DIR,
# else /opt/tf-plugins. infragen: $INFRAGEN (a binary), else `cargo run`. With arguments (topology names: generated-tf, dev,
# prod, staging, broken), runs only those.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
NAME=40-apply
PY="$ROOT/.cache/venv/bin/python"
TF="${TERRAFORM:-/usr/local/bin/terraform}"
PLUGINS="${TF_PROVIDER5_DIR:-/opt/tf-plugins}"
PROVIDER="$PLUGINS/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5"
BROKEN="$ROOT/scripts/checks/fixtures/apply-broken"
PARALLELISM="${TF_APPLY_PARALLELISM:-30}"
ONLY=("$@")

for tool in "$PY" "$TF" "$PROVIDER"; do
    [ -x "$tool" ] || { echo "$NAME: $tool missing (Python: run scripts/install-tools.sh)" >&2; exit 1; }
done
"$PY" -c 'import moto' 2>/dev/null || { echo "$NAME: moto missing in .cache/venv: run scripts/install-tools.sh" >&2; exit 1; }

TMP="$(mktemp -d)"
MOTO_PID=""
stop_moto() {
    if [ -n "$MOTO_PID" ]; then
        kill "$MOTO_PID" 2>/dev/null || true
        wait "$MOTO_PID" 2>/dev/null || true
        MOTO_PID=""
    fi
}
# APPLY_CHECK_KEEP=1 keeps the scratch directories and logs (path printed).
if [ -n "${APPLY_CHECK_KEEP:-}" ]; then
    trap 'stop_moto; echo "$NAME: kept $TMP" >&2' EXIT
else
    trap 'stop_moto; rm -rf "$TMP"' EXIT
fi
: > "$TMP/terraformrc"
export TF_CLI_CONFIG_FILE="$TMP/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_LOG TF_LOG_PATH AWS_PROFILE AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
# The provider must never reach a real AWS account: fake credentials, and an
# unreachable instance-metadata endpoint in case one endpoint was forgotten.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN

failures=0
fail() { echo "$NAME: FAIL: $*" >&2; failures=$((failures + 1)); }
want() { [ "${#ONLY[@]}" -eq 0 ] || printf '%s\n' "${ONLY[@]}" | grep -qx "$1"; }

# Each topology runs as a job in its own directory $T (logs, moto, scratch
# copy), all jobs at once: most of the time is the provider's fixed waits
# (RDS polls once a minute), not CPU.
T="$TMP"

# A fresh moto per topology (empty state), on a free port; arguments are
# moto_server.py's (seeds of what the topology expects to exist).
start_moto() {
    stop_moto
    rm -f "$T/moto.port"
    "$PY" "$ROOT/scripts/tf/moto_server.py" "$T/moto.port" "$@" >"$T/moto.log" 2>&1 &
    MOTO_PID=$!
    for _ in $(seq 600); do
        [ -s "$T/moto.port" ] && return 0
        kill -0 "$MOTO_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "$NAME: moto server did not start:" >&2
    sed 's/^/    /' "$T/moto.log" >&2
    exit 1
}

# Copies a configuration without Terraform's working files.
copy_config() {
    mkdir -p "$2"
    (cd "$1" && tar --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='terraform.tfstate*' -cf - .) \
        | (cd "$2" && tar -xf -)
}

# prepare SRC WORK: the scratch copy, mapped to 5.100, pointed at moto.
prepare() {
    copy_config "$1" "$2"
    "$ROOT/scripts/tf/to-provider5.sh" "$2"
    sed "s#@URL@#http://127.0.0.1:$(cat "$T/moto.port")#" "$ROOT/scripts/tf/moto_provider_override.tf.in" \
        > "$2/zz_moto_override.tf"
}

# tf STEP WORK ARGS...: runs terraform, log in $T/STEP.log.
tf() {
    local step="$1" work="$2"; shift 2
    local rc=0
    "$TF" -chdir="$work" "$@" -no-color >"$T/$step.log" 2>&1 || rc=$?
    return "$rc"
}
show_errors() {
    if grep -q '^Error' "$T/$1.log"; then
        awk '/^Error/ {n = 9} n > 0 {print "    " $0; n--; if (++shown >= 60) exit}' "$T/$1.log" >&2
    else
        tail -20 "$T/$1.log" | sed 's/^/    /' >&2
    fi
}

now() { date +%s; }

# seeds TOPOLOGY: moto_server.py arguments for what the topology references
# as existing: the Route 53 zone of edge.domain.hosted_zone_id (named after
# the domain's parent), and each Secrets Manager secret given by name in
# [service.secrets] (the plan resolves it to its ARN).
seeds() {
    "$PY" - "$1" <<'PYEOF'
import sys, tomllib
topology = tomllib.load(open(sys.argv[1], "rb"))
domain = topology.get("edge", {}).get("domain", {})
if domain.get("hosted_zone_id"):
    print(f"--hosted-zone={domain['hosted_zone_id']}={domain['name'].split('.', 1)[1]}")
region = topology["project"]["region"]
names = {
    value.split(":", 1)[0]
    for service in topology.get("service", [])
    for value in service.get("secrets", {}).values()
    if not value.startswith("arn:")
}
for name in sorted(names):
    print(f"--secret={region}/{name}")
PYEOF
}

# apply_topology NAME SRC TOPOLOGY [CHANGE_SRC]
apply_topology() {
    local name="$1" src="$2" topology="$3" change="${4:-}" work="$T/work" t0 t_plan t_apply t_replan t_change="" t_destroy n summary
    # shellcheck disable=SC2046 # one argument per line
    start_moto $(seeds "$topology")
    prepare "$src" "$work"
    t0=$(now)
    if ! tf init "$work" init -backend=false -plugin-dir="$PLUGINS" -input=false; then
        fail "$name: terraform init"; show_errors init; return
    fi
    if ! tf validate "$work" validate; then
        fail "$name: terraform validate (real provider)"; show_errors validate; return
    fi
    if ! tf plan "$work" plan -input=false -parallelism="$PARALLELISM" -out="$work/plan.bin"; then
        fail "$name: terraform plan"; show_errors plan; return
    fi
    n="$(grep -oE 'Plan: [0-9]+ to add' "$T/plan.log" | grep -oE '[0-9]+' || echo '?')"
    t_plan=$(now)
    if ! tf apply "$work" apply -input=false -parallelism="$PARALLELISM" "$work/plan.bin"; then
        fail "$name: terraform apply"; show_errors apply
        destroy_after_failure "$name" "$work"; return
    fi
    t_apply=$(now)
    local rc=0
    tf replan "$work" plan -input=false -parallelism="$PARALLELISM" -detailed-exitcode || rc=$?
    t_replan=$(now)
    if [ "$rc" -eq 2 ]; then
        fail "$name: plan right after apply is not empty (perpetual diff):"
        # Each resource with its changed arguments (forces-replacement marked).
        awk '/^  # / {print "    " $0} /^Plan:/ {print "    " $0}
             /^ +[~+-] [a-z_]+ +=/ && !/known after apply/ {print "        " $0}' "$T/replan.log" | head -120 >&2 || true
    elif [ "$rc" -ne 0 ]; then
        fail "$name: plan after apply failed"; show_errors replan
    fi
    local t_adopt=""
    if grep -q '^kind = "amazon_mq"' "$topology"; then
        local t_before
        t_before=$(now)
        adopt_step "$name" "$topology" "$work" && t_adopt="adopt $(( $(now) - t_before ))s (no changes after)"
    fi
    if [ -n "$change" ]; then
        # The change: the new rendering replaces the configuration, state stays.
        find "$work" -mindepth 1 -maxdepth 1 -not -name .terraform -not -name 'terraform.tfstate*' \
            -not -name .terraform.lock.hcl -exec rm -rf {} +
        prepare "$change" "$work"
        if ! tf change-init "$work" init -backend=false -plugin-dir="$PLUGINS" -input=false; then
            fail "$name: change plan: terraform init"; show_errors change-init
        elif ! tf change "$work" plan -input=false -parallelism="$PARALLELISM" -out=change.tfplan; then
            fail "$name: change plan failed against the applied state"; show_errors change
        else
            t_change="$(grep -oE 'Plan: .*' "$T/change.log" | sed 's/Plan: //; s/\.$//')"
            # The change replaces the broker: the new one must get the secret's password.
            if ! "$TF" -chdir="$work" show -json change.tfplan >"$T/change.json" 2>"$T/change-broker.log" \
                || ! "$PY" "$ROOT/scripts/tf/replaced_broker_password.py" "$T/change.json" >"$T/change-broker.log" 2>&1; then
                fail "$name: change plan: replaced broker password:"; sed 's/^/    /' "$T/change-broker.log" >&2
            fi
        fi
        t_change="change plan $(( $(now) - t_replan ))s (${t_change:-failed})"
        find "$work" -mindepth 1 -maxdepth 1 -not -name .terraform -not -name 'terraform.tfstate*' \
            -not -name .terraform.lock.hcl -exec rm -rf {} +
        prepare "$src" "$work"
        tf reinit "$work" init -backend=false -plugin-dir="$PLUGINS" -input=false || { fail "$name: re-init"; show_errors reinit; }
    fi
    local t_teardown
    t_teardown=$(now)
    if ! teardown "$name" "$work"; then
        return
    fi
    t_destroy=$(now)
    summary="$n resources; plan $((t_plan - t0))s, apply $((t_apply - t_plan))s, re-plan $((t_replan - t_apply))s"
    [ "$rc" -eq 0 ] && summary="$summary (no changes)" || summary="$summary (CHANGES)"
    [ -z "$t_adopt" ] || summary="$summary, $t_adopt"
    [ -z "$t_change" ] || summary="$summary, $t_change"
    summary="$summary, destroy $((t_destroy - t_teardown))s; moto $(stub_hits)"
    echo "$NAME: $name: $summary"
}

# adopt_step NAME TOPOLOGY WORK: the applied stage re-rendered with
# broker.adopt_log_groups = true imports the Amazon MQ log group (which
# Amazon MQ, and the moto launcher, create with the broker) and gives it
# retention and the key; the plan after that must be empty.
adopt_step() {
    local name="$1" topology="$2" work="$3" rc=0
    sed 's/^\[broker\]$/[broker]\nadopt_log_groups = true/' "$topology" > "$T/adopt.toml"
    if ! "${INFRAGEN[@]}" render --topology "$T/adopt.toml" --out "$T/adopt" >"$T/adopt-render.log" 2>&1; then
        fail "$name: adopt: infragen render failed"; sed 's/^/    /' "$T/adopt-render.log" >&2; return 1
    fi
    find "$work" -mindepth 1 -maxdepth 1 -not -name .terraform -not -name 'terraform.tfstate*' \
        -not -name .terraform.lock.hcl -exec rm -rf {} +
    prepare "$T/adopt" "$work"
    if ! tf adopt-init "$work" init -backend=false -plugin-dir="$PLUGINS" -input=false \
        || ! tf adopt "$work" apply -input=false -auto-approve -parallelism="$PARALLELISM"; then
        fail "$name: adopting the broker log group failed"; show_errors adopt; return 1
    fi
    if ! grep -q 'Resources: 1 imported' "$T/adopt.log"; then
        fail "$name: adopting the broker log group imported nothing:"; grep -E '^(Apply|Plan)' "$T/adopt.log" >&2; return 1
    fi
    tf adopt-replan "$work" plan -input=false -parallelism="$PARALLELISM" -detailed-exitcode || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: plan after adopting the broker log group is not empty (exit $rc)"; show_errors adopt-replan; return 1
    fi
}

stub_hits() {
    stop_moto
    grep -o 'stub hits: .*' "$T/moto.log" | tail -1 || echo "stub hits: ?"
}

# teardown NAME WORK: what a user does to remove a stage: lift deletion
# protection (root module inputs `deletion_protection = true`), apply, destroy.
teardown() {
    local name="$1" work="$2"
    if grep -qE '^\s*deletion_protection\s*=\s*true' "$work/main.tf"; then
        sed -i -E 's/^(\s*deletion_protection\s*=\s*)true/\1false/' "$work/main.tf"
        if ! tf unprotect "$work" apply -input=false -auto-approve -parallelism="$PARALLELISM"; then
            fail "$name: apply with deletion protection lifted"; show_errors unprotect; return 1
        fi
    fi
    if ! tf destroy "$work" destroy -input=false -auto-approve -parallelism="$PARALLELISM"; then
        fail "$name: terraform destroy"; show_errors destroy; return 1
    fi
}

destroy_after_failure() {
    # Nothing to clean up on a real account (moto is thrown away); stop moto.
    stop_moto
}

# job NAME CMD...: runs CMD as a background job in $TMP/jobs/NAME (its $T);
# its output is printed, in start order, once every job is done.
JOBS=()
job() {
    local name="$1"; shift
    mkdir -p "$TMP/jobs/$name"
    (
        T="$TMP/jobs/$name"; MOTO_PID=""; failures=0
        trap stop_moto EXIT
        "$@"
        [ "$failures" -eq 0 ]
    ) >"$TMP/jobs/$name/out" 2>&1 &
    JOBS+=("$name:$!")
}

# 1. Rendered topologies ----------------------------------------------------------
if [ -n "${INFRAGEN:-}" ]; then INFRAGEN=("$INFRAGEN"); else INFRAGEN=(cargo run -q --locked -p infragen --); fi
mkdir -p "$TMP/render"
if want generated-tf; then
    if ! "$PY" "$ROOT/scripts/tf/change_topology.py" "$ROOT/topology.toml" "$TMP/change.toml" >"$TMP/render.log" 2>&1 \
        || ! "${INFRAGEN[@]}" render --topology "$TMP/change.toml" --out "$TMP/render/change" >>"$TMP/render.log" 2>&1; then
        fail "change topology: render failed:"; sed 's/^/    /' "$TMP/render.log" >&2
    else
        job generated-tf apply_topology generated-tf "$ROOT/generated-tf" "$ROOT/topology.toml" "$TMP/render/change"
    fi
fi
for fixture in infragen/core/tests/fixtures/valid/*.toml; do
    name="$(basename "$fixture" .toml)"
    want "$name" || continue
    if ! "${INFRAGEN[@]}" render --topology "$fixture" --out "$TMP/render/$name" >"$TMP/render.log" 2>&1; then
        fail "fixture-$name: infragen render --topology $fixture failed:"; sed 's/^/    /' "$TMP/render.log" >&2
        continue
    fi
    job "fixture-$name" apply_topology "fixture-$name" "$TMP/render/$name" "$fixture"
done

# 2. Broken fixtures: each must fail, for its reason ---------------------------------
broken_fixtures() {
    local proofs=0
    # duplicate-sg: two security groups with one name in one VPC; plan passes, apply must not.
    start_moto
    prepare "$BROKEN/duplicate-sg" "$T/broken/duplicate-sg"
    if ! tf b-init "$T/broken/duplicate-sg" init -backend=false -plugin-dir="$PLUGINS" -input=false \
        || ! tf b-plan "$T/broken/duplicate-sg" plan -input=false; then
        fail "apply-broken/duplicate-sg is meant to plan, it did not:"; show_errors b-plan
    elif tf b-apply "$T/broken/duplicate-sg" apply -input=false -auto-approve; then
        fail "apply-broken/duplicate-sg applied: two security groups with one name were accepted"
    elif ! grep -q "InvalidGroup.Duplicate: The security group 'apply-broken-dup' already exists" "$T/b-apply.log"; then
        fail "apply-broken/duplicate-sg failed, but not with InvalidGroup.Duplicate:"; show_errors b-apply
    else
        proofs=$((proofs + 1))
    fi
    stop_moto
    # invalid-enum: schema-valid (20-terraform's provider accepts it), the real provider rejects it.
    start_moto
    prepare "$BROKEN/invalid-enum" "$T/broken/invalid-enum"
    if ! tf b-init2 "$T/broken/invalid-enum" init -backend=false -plugin-dir="$PLUGINS" -input=false; then
        fail "apply-broken/invalid-enum: init failed"; show_errors b-init2
    elif tf b-validate "$T/broken/invalid-enum" validate; then
        fail "apply-broken/invalid-enum passed validate with the real provider"
    elif ! grep -q 'expected protocol to be one of' "$T/b-validate.log"; then
        fail "apply-broken/invalid-enum failed validate, but not on the protocol enum:"; show_errors b-validate
    else
        proofs=$((proofs + 1))
    fi
    stop_moto
    # broker-password-regenerated: a change plan whose replaced broker gets a fresh password.
    if "$PY" "$ROOT/scripts/tf/replaced_broker_password.py" "$ROOT/scripts/checks/fixtures/plan-broken/broker-password-regenerated.json" >"$T/b-broker.log" 2>&1; then
        fail "plan-broken/broker-password-regenerated passed: a replaced broker with a fresh password was accepted"
    elif ! grep -q 'gets a different password' "$T/b-broker.log"; then
        fail "plan-broken/broker-password-regenerated failed, but not on the password:"; sed 's/^/    /' "$T/b-broker.log" >&2
    else
        proofs=$((proofs + 1))
    fi
    echo "$NAME: broken fixtures: $proofs/3 proofs fail as they must (duplicate security-group name: apply InvalidGroup.Duplicate; invalid enum: real-provider validate; replaced broker with a regenerated password)"
}
if want broken; then
    job broken broken_fixtures
fi

for entry in "${JOBS[@]}"; do
    name="${entry%%:*}"
    if wait "${entry##*:}"; then
        cat "$TMP/jobs/$name/out"
    else
        failures=$((failures + 1))
        cat "$TMP/jobs/$name/out" >&2
        grep -q "FAIL" "$TMP/jobs/$name/out" || echo "$NAME: FAIL: $name (job failed)" >&2
    fi
done

if [ "$failures" -gt 0 ]; then
    echo "$NAME: $failures failure(s)" >&2
    exit 1
fi
