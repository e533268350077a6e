#!/usr/bin/env bash
# Prints the folder Cargo writes a profile's binaries to, under a target folder:
#
#   scripts/cargo-profile-dir.sh PROFILE TARGET_DIR
#
# Cargo's built-in profiles keep their own folders — dev and test in debug/,
# release and bench in release/ — and a custom profile uses its own name.
set -euo pipefail
profile="$1"
target="$2"
case "$profile" in
  dev | test) echo "$target/debug" ;;
  release | bench) echo "$target/release" ;;
  *) echo "$target/$profile" ;;
esac
