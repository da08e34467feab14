#!/usr/bin/env bash
# `make fresh-install`: install and run ai-glossary-mcp the ways the README tells a new user to,
# outside the development venv, and check each one answers as an MCP server:
#   1. a fresh venv: `python -m venv`, `pip install .`, the console script from another directory;
#   2. `uv tool run --from . ai-glossary-mcp` (uv from PyPI, into a throwaway venv; its cache and
#      tool directories are throwaway too).
# Each is checked with --version, a CLI lookup, and an MCP session over stdio (smoke_client.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/glossary-fresh-XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"   # nothing below may depend on the repository being the working directory
version="$("$PY" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$ROOT/pyproject.toml" 2>/dev/null || sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/pyproject.toml")"

step() { echo "== $*"; }
die() { echo "FAIL  fresh-install: $*"; exit 1; }
check() {  # $1: label, then the command that runs ai-glossary-mcp
    local label=$1; shift
    local out
    out="$("$@" --version)" || die "$label --version"
    [[ $out == "ai-glossary-mcp $version" ]] || die "$label --version printed '$out', want $version"
    out="$("$@" define DPO)" || die "$label define DPO"
    grep -q "Direct Preference Optimization" <<<"$out" || die "$label define DPO printed: $out"
    out="$("$WORK/venv/bin/python" "$ROOT/tests/install/smoke_client.py" "$@")" || die "$label over stdio: $out"
    echo "PASS  $label: --version, define DPO, stdio: $out"
}

step "fresh venv ($("$PY" --version)), pip install ."
"$PY" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$ROOT" >"$WORK/pip.log" 2>&1 \
    || { tail -n 20 "$WORK/pip.log"; die "pip install . into a fresh venv"; }
check "fresh venv" "$WORK/venv/bin/ai-glossary-mcp"

step "uv tool run --from . ai-glossary-mcp"
"$PY" -m venv "$WORK/uv-venv"
"$WORK/uv-venv/bin/python" -m pip install --quiet --disable-pip-version-check uv >"$WORK/uv-pip.log" 2>&1 \
    || { tail -n 20 "$WORK/uv-pip.log"; die "pip install uv"; }
export UV_CACHE_DIR="$WORK/uv-cache" UV_TOOL_DIR="$WORK/uv-tools" UV_TOOL_BIN_DIR="$WORK/uv-bin"
export UV_PYTHON="$PY" UV_PYTHON_DOWNLOADS=never SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
"$WORK/uv-venv/bin/uv" --version
check "uv tool run --from ." "$WORK/uv-venv/bin/uv" tool run --quiet --from "$ROOT" ai-glossary-mcp
