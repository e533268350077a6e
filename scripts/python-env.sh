#!/usr/bin/env bash
# Create or update the project's Python venv and print its path.
#
#   scripts/python-env.sh [REQUIREMENTS_FILE]
#
# The venv lives at $LAKEWARDEN_VENV (default: <repo>/.venv). The pinned
# requirements file (default: scripts/requirements-fixtures.txt) is installed
# only when its SHA-256 differs from the stamp kept inside the venv, so the
# script is cheap to run again. Progress goes to stderr; stdout is only the
# venv path, so callers can do:  PY="$(scripts/python-env.sh)/bin/python"
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="${1:-$repo/scripts/requirements-fixtures.txt}"
venv="${LAKEWARDEN_VENV:-$repo/.venv}"

if [[ ! -f "$req" ]]; then
  echo "python-env.sh: requirements file not found: $req" >&2
  exit 2
fi
py="${PYTHON:-python3}"
if ! command -v "$py" >/dev/null 2>&1; then
  echo "python-env.sh: $py not found" >&2
  exit 1
fi

if [[ ! -x "$venv/bin/python" ]]; then
  echo "python-env.sh: creating venv at $venv" >&2
  "$py" -m venv "$venv" >&2
fi

# One stamp per requirements file name, so several files can share a venv.
stamp="$venv/.lakewarden-req-$(basename "$req").sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [[ "$want" != "$have" ]]; then
  echo "python-env.sh: installing $req" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$req" >&2
  printf '%s\n' "$want" >"$stamp"
fi

(cd "$venv" && pwd)
