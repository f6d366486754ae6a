#!/usr/bin/env bash
# The project's one test command: installs the pinned tools, checks formatting
# and lints, runs every Rust test against the local PostgreSQL and RabbitMQ,
# then every offline check (Terraform, scanners, Dockerfiles, compose) in
# scripts/checks/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-tools.sh
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
for check in scripts/checks/*.sh; do
    [ -e "$check" ] || continue
    echo "==> $check"
    bash "$check"
done
echo "all tests and checks passed"
