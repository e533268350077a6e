#!/usr/bin/env bash
# Install the S3 and Azure test servers (shared/SERVERS.md), idempotently:
#
#   scripts/test-servers.sh install   (the default)
#
# * moto[server] (pinned in scripts/requirements-test-servers.txt) into the
#   repo venv through scripts/python-env.sh;
# * azurite@3.35.0 with npm into $LAKEWARDEN_CACHE/azurite-3.35.0 (default
#   ~/.cache/lakewarden), outside the work tree, reused when present; Node and
#   npm come from Debian's packages when missing;
# * s3s-fs@0.14.1 (an S3 server over a folder that checks SigV4 signatures,
#   for the wrong-credentials test) built once with `cargo install --locked`
#   into $LAKEWARDEN_CACHE/s3s-fs-0.14.1 (about 3 min on 2 cores, once).
#
# Progress goes to stderr; stdout is three lines the tests read:
#   MOTO_SERVER=/abs/path/to/moto_server
#   AZURITE_BLOB=/abs/path/to/azurite-blob
#   S3S_FS=/abs/path/to/s3s-fs
# The end-to-end tests (tests/e2e/stores.rs) run this themselves, then start
# both servers on free ports of 127.0.0.1 and stop them when done.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-install}"
azurite_version=3.35.0
cache="${LAKEWARDEN_CACHE:-$HOME/.cache/lakewarden}"
azurite_dir="$cache/azurite-$azurite_version"
s3s_version=0.14.1
s3s_dir="$cache/s3s-fs-$s3s_version"

case "$cmd" in
  install) ;;
  *)
    echo "usage: $0 [install]" >&2
    exit 2
    ;;
esac

# --- moto (S3) ---------------------------------------------------------------
venv="$(bash "$repo/scripts/python-env.sh" "$repo/scripts/requirements-test-servers.txt")"
moto="$venv/bin/moto_server"
if [[ ! -x "$moto" ]]; then
  echo "test-servers.sh: $moto missing after install" >&2
  exit 1
fi

# --- Azurite (Azure Blob) ------------------------------------------------------
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "test-servers.sh: installing nodejs and npm (Debian packages)" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
azurite="$azurite_dir/node_modules/.bin/azurite-blob"
stamp="$azurite_dir/.installed"
if [[ ! -x "$azurite" || ! -f "$stamp" ]]; then
  echo "test-servers.sh: installing azurite@$azurite_version into $azurite_dir" >&2
  mkdir -p "$azurite_dir"
  # A private package.json keeps npm from walking up to another project.
  [[ -f "$azurite_dir/package.json" ]] ||
    printf '{ "name": "lakewarden-test-servers", "private": true }\n' >"$azurite_dir/package.json"
  (cd "$azurite_dir" &&
    npm install --no-audit --no-fund --loglevel=error --save-exact "azurite@$azurite_version" >&2)
  touch "$stamp"
fi
if [[ ! -x "$azurite" ]]; then
  echo "test-servers.sh: $azurite missing after install" >&2
  exit 1
fi

# --- s3s-fs (S3 with signature checks) ---------------------------------------
s3s="$s3s_dir/bin/s3s-fs"
if [[ ! -x "$s3s" ]]; then
  echo "test-servers.sh: building s3s-fs@$s3s_version into $s3s_dir (once, ~3 min)" >&2
  cargo install --quiet --locked "s3s-fs@$s3s_version" --features binary --root "$s3s_dir" >&2
fi
if [[ ! -x "$s3s" ]]; then
  echo "test-servers.sh: $s3s missing after install" >&2
  exit 1
fi

echo "MOTO_SERVER=$moto"
echo "AZURITE_BLOB=$azurite"
echo "S3S_FS=$s3s"
