#!/usr/bin/env bash
# generated-tf/ is exactly what `infragen render` makes of topology.toml
# (exit 3 with a diff otherwise). The CLI test `render --check` on a modified
# copy proves the check fails when the two drift.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run -q --locked -p infragen -- render --check
