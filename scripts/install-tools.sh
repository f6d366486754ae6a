#!/usr/bin/env bash
# Installs the pinned tools the checks use into .cache/ (ignored by git).
# Python tools come from scripts/requirements-*.txt into one virtualenv;
# re-running is cheap: nothing is reinstalled when the pins did not change.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="$PWD/.cache"
VENV="$CACHE/venv"
mkdir -p "$CACHE"

python_bin="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$python_bin" -m venv "$VENV"
fi
stamp="$CACHE/requirements.sha256"
want="$(cat scripts/requirements-*.txt | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        $(printf -- '-r %s ' scripts/requirements-*.txt)
    echo "$want" > "$stamp"
fi

# Further installers (a provider built from a schema, ...) live next to their checks.
for step in scripts/install.d/*.sh; do
    [ -e "$step" ] || continue
    bash "$step"
done
