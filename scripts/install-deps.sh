#!/usr/bin/env bash
# Install what building and testing lakewarden needs, idempotently.
# Safe to run again: each step checks before it acts.
set -euo pipefail

need_apt=()
# Hyperscan (the rules engine) links the system library.
dpkg -s libhyperscan-dev >/dev/null 2>&1 || need_apt+=(libhyperscan-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)

if ((${#need_apt[@]})); then
  echo "install-deps: apt-get install ${need_apt[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install Rust (rustup) first" >&2
  exit 1
fi
