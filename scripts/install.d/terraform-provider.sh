#!/usr/bin/env bash
# Builds what scripts/checks/20-terraform.sh needs, under .cache/ (see scripts/tf/README.md):
#   1. checkov 3.3.30 in its own virtualenv, .cache/venv-checkov
#      (it requires boto3==1.35.49, the shared venv pins another boto3);
#   2. the cdktn-provider-aws 25.8.1 wheel (pip download --no-deps, sha256-checked);
#   3. a schema-only hashicorp/aws 6.69.1 provider: the jsii assembly in the wheel
#      converted to a provider schema (scripts/tf/jsii2schema.py), compiled to the
#      GetProviderSchema response, served by scripts/tf/provider.py, installed as
#      .cache/terraform-plugins/registry.terraform.io/hashicorp/aws/6.69.1/linux_amd64/
#   Each step is skipped when its inputs did not change (sha256 stamps).
# Runs after the shared venv (.cache/venv, scripts/requirements-*.txt) exists.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CACHE="$ROOT/.cache"
VENV="$CACHE/venv"
PY="$VENV/bin/python"
log() { echo "terraform-provider: $*"; }

[ -x "$PY" ] || { echo "terraform-provider: $PY missing (run scripts/install-tools.sh)" >&2; exit 1; }

# 1. checkov ------------------------------------------------------------------
CK_VENV="$CACHE/venv-checkov"
ck_want="$(cat scripts/tf/requirements-checkov.txt | sha256sum | cut -d' ' -f1)"
if [ ! -x "$CK_VENV/bin/checkov" ] || [ "$(cat "$CK_VENV/.requirements.sha256" 2>/dev/null)" != "$ck_want" ]; then
    log "installing checkov into $CK_VENV"
    "${PYTHON:-python3}" -m venv "$CK_VENV"
    "$CK_VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/tf/requirements-checkov.txt
    echo "$ck_want" > "$CK_VENV/.requirements.sha256"
fi

# 2. the wheel that carries the AWS provider schema -----------------------------
WHEEL_VERSION=25.8.1
WHEEL_SHA256=2ffa579cb88b063cb3a9937e43c519391e876845768f51638a848bdf2ce9f354
WHEELS="$CACHE/wheels"
WHEEL="$WHEELS/cdktn_provider_aws-$WHEEL_VERSION-py3-none-any.whl"
wheel_ok() { [ -f "$WHEEL" ] && echo "$WHEEL_SHA256  $WHEEL" | sha256sum -c --status; }
if ! wheel_ok; then
    log "downloading cdktn-provider-aws==$WHEEL_VERSION (~70 MB)"
    mkdir -p "$WHEELS"
    rm -f "$WHEEL"
    "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps --only-binary=:all: \
        -d "$WHEELS" "cdktn-provider-aws==$WHEEL_VERSION"
    wheel_ok || { echo "terraform-provider: sha256 mismatch for $WHEEL" >&2; exit 1; }
fi

# 3. the schema-only provider ---------------------------------------------------
AWS_VERSION=6.69.1
BUILD="$CACHE/tf"
PLUGINS="$CACHE/terraform-plugins"
PLUGIN_DIR="$PLUGINS/registry.terraform.io/hashicorp/aws/$AWS_VERSION/linux_amd64"
PLUGIN="$PLUGIN_DIR/terraform-provider-aws_v$AWS_VERSION"
SCHEMA="$BUILD/aws-$AWS_VERSION.schema.json"
mkdir -p "$BUILD"

# 3a. jsii assembly -> schema JSON (the slow part: ~1 min, ~1 GB of memory).
schema_want="$( { echo "$WHEEL_SHA256"; "$PY" -V; cat scripts/tf/jsii2schema.py; } | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$BUILD/schema.sha256" 2>/dev/null)" != "$schema_want" ] || [ ! -s "$SCHEMA" ]; then
    log "converting the cdktn-provider-aws $WHEEL_VERSION assembly to the hashicorp/aws $AWS_VERSION schema (about a minute)"
    rm -f "$BUILD/schema.sha256"
    "$PY" scripts/tf/jsii2schema.py "$WHEEL" "$SCHEMA.tmp"
    "$PY" -c 'import json, sys; s = json.load(open(sys.argv[1]))["_source"]; \
assert s["cdktn_provider_aws"] == sys.argv[2], s; print("dropped (cut to `any` by cdktn):", ", ".join(s["dropped"]))' \
        "$SCHEMA.tmp" "$WHEEL_VERSION" >&2
    mv "$SCHEMA.tmp" "$SCHEMA"
    echo "$schema_want" > "$BUILD/schema.sha256"
fi

# 3b. schema JSON -> GetProviderSchema response + the plugin Terraform executes.
want="$( {
    echo "$schema_want $AWS_VERSION $ROOT"
    "$PY" -c 'import sys, tf, grpc, msgpack, google.protobuf as p; print(sys.version, grpc.__version__, p.__version__)'
    cat scripts/tf/provider.py "$0"
} | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$BUILD/provider.sha256" 2>/dev/null)" != "$want" ] || [ ! -x "$PLUGIN" ]; then
    log "installing the schema-only hashicorp/aws $AWS_VERSION provider into $PLUGINS"
    rm -rf "$PLUGINS" "$BUILD/provider.sha256"
    mkdir -p "$PLUGIN_DIR"
    "$PY" scripts/tf/provider.py compile "$SCHEMA" "$BUILD/aws-$AWS_VERSION.pb"
    cp scripts/tf/provider.py "$BUILD/provider.py"
    # Terraform execs this file and speaks go-plugin/gRPC with it.
    cat > "$PLUGIN" <<EOF
#!/bin/sh
# Schema-only hashicorp/aws $AWS_VERSION (cdktn-provider-aws $WHEEL_VERSION); see scripts/tf/README.md.
exec "$PY" "$BUILD/provider.py" serve "$BUILD/aws-$AWS_VERSION.pb"
EOF
    chmod +x "$PLUGIN"
    echo "$want" > "$BUILD/provider.sha256"
fi
