#!/usr/bin/env bash
# generated-tf/ is exactly what `infragen render` makes of topology.toml, and
# docker-compose.yml exactly what `infragen compose` makes of it (exit 3 with
# a diff otherwise). The CLI tests `render --check` and `compose --check` on a
# modified copy prove the checks fail when the two drift.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run -q --locked -p infragen -- render --check
cargo run -q --locked -p infragen -- compose --check
