#!/usr/bin/env bash
# Installs newman (the Postman collection runner) for scripts/checks/15-postman.sh:
# `npm ci` of scripts/postman/package.json + package-lock.json (newman pinned,
# every transitive package locked with its integrity hash) into .cache/newman.
# Skipped when the lock file did not change (sha256 stamp).
set -euo pipefail
cd "$(dirname "$0")/../.."
DEST="$PWD/.cache/newman"
want="$(cat scripts/postman/package.json scripts/postman/package-lock.json | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$DEST/.lock.sha256" 2>/dev/null)" = "$want" ] && [ -x "$DEST/node_modules/.bin/newman" ]; then
    exit 0
fi
command -v npm >/dev/null || { echo "newman: npm (Node.js >= 16) is required" >&2; exit 1; }
echo "newman: installing the pinned newman into $DEST"
rm -rf "$DEST"
mkdir -p "$DEST"
cp scripts/postman/package.json scripts/postman/package-lock.json "$DEST/"
(cd "$DEST" && npm ci --no-audit --no-fund --loglevel=error)
"$DEST/node_modules/.bin/newman" --version >/dev/null
echo "$want" > "$DEST/.lock.sha256"
