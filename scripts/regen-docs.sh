#!/usr/bin/env bash
# Regenerates every file infragen generates from topology.toml, the model and
# the runtime contract, so that scripts/checks/10-generated.sh passes again:
#   docs/*.md, docs/contracts.json and README.md's generated blocks
#                        infragen docs     (check: infragen docs --check)
#   generated-tf/        infragen render   (check: infragen render --check)
#   docker-compose.yml   infragen compose  (check: infragen compose --check)
# Usage: scripts/regen-docs.sh     (from anywhere)
set -euo pipefail
cd "$(dirname "$0")/.."
unset INFRAGEN_TOPOLOGY # the embedded default (topology.toml) throughout
cargo run -q -p infragen -- docs
cargo run -q -p infragen -- render --out generated-tf
cargo run -q -p infragen -- compose --out docker-compose.yml
