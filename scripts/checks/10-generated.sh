#!/usr/bin/env bash
# generated-tf/ is exactly what `infragen render` makes of topology.toml,
# docker-compose.yml exactly what `infragen compose` makes of it, and every
# generated doc and README block exactly what `infragen docs` writes (exit 3
# with a diff otherwise). The CLI tests (`render --check` and `compose --check`
# on a modified copy, docs_command.rs on a drifted copy of the docs) prove the
# checks fail when the files drift.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo run -q --locked -p infragen -- render --check
cargo run -q --locked -p infragen -- compose --check
cargo run -q --locked -p infragen -- docs --check
