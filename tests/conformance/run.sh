#!/usr/bin/env bash
# Third-party client checks, run by `make conformance` from the repo root (with .venv installed):
#   1. the official MCP conformance suite against the HTTP server, stateful and stateless;
#   2. the MCP Inspector CLI against the stdio server, one call per MCP method, with assertions;
#   3. `mcpb validate` on the Claude Desktop bundle manifest (manifest.json), and that it lists
#      exactly the tools and prompts the server serves.
# Pinned npm tools (versions in tools.sh) go to .tools/ (gitignored), reused while the versions match.
# Results and logs: build/conformance/. One PASS/FAIL line per step; exit 1 if any step failed.
# See tests/conformance/README.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE=tests/conformance
PY="$ROOT/.venv/bin/python"
SERVER_BIN="$ROOT/.venv/bin/ai-glossary-mcp"
OUT="$ROOT/build/conformance"
# shellcheck source=tests/conformance/tools.sh
source "$HERE/tools.sh"   # pinned versions, NODE, NODE22, ensure_tools

# Settings from the caller's environment (a token, a config file, another port) would change the server.
while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^AI_GLOSSARY_MCP_' || true)

now() { echo "${EPOCHREALTIME:-$SECONDS}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }
START=$(now)
STEP_START=$START
begin() { STEP_START=$(now); }  # the next PASS/FAIL line shows the time since
PASSED=0
FAILED=0
pass() { echo "PASS  $1 ($(since "$STEP_START"))${2:+  -- $2}"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL  $1 ($(since "$STEP_START"))${2:+  -- $2}"; FAILED=$((FAILED + 1)); }
finish() {
    echo "conformance harness took $(since "$START"); results and logs in ${OUT#"$ROOT"/}/"
    echo "conformance: $PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
}

SERVER_PID=""
stop_server() {
    [[ -n $SERVER_PID ]] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

[[ -x $PY && -x $SERVER_BIN ]] || { echo "FAIL  .venv is not installed: run 'make conformance'"; exit 1; }
rm -rf "$OUT"
mkdir -p "$OUT"

# ---------------------------------------------------------------------------------------------- tools
begin
if ensure_tools "$OUT/npm-install.log"; then
    pass "npm tools" "$TOOLS_MSG"
else
    fail "npm tools" "$TOOLS_MSG"
    finish || exit 1
fi

# ------------------------------------------------------------------------------------- glossary data
# The server refuses to start on an invalid pack; say so once instead of failing every step below.
begin
if "$SERVER_BIN" validate >"$OUT/validate.log" 2>&1; then
    pass "glossary data validates" "$(tail -n 1 "$OUT/validate.log")"
else
    fail "glossary data validates" "the server cannot start; problems:"
    head -n 20 "$OUT/validate.log"
    finish || exit 1
fi

# ------------------------------------------------------------------------ conformance suite over HTTP
start_server() {  # $1: stateful|stateless; sets SERVER_PID and PORT, returns 1 if not healthy in 30 s
    local mode=$1 flags=()
    [[ $mode == stateless ]] && flags=(--stateless)
    PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')"
    "$SERVER_BIN" serve --transport http --host 127.0.0.1 --port "$PORT" "${flags[@]}" \
        >"$OUT/server-$mode.log" 2>&1 &
    SERVER_PID=$!
    # Readiness: poll /healthz. Never GET /mcp: on a stateless server that is an SSE stream that never ends.
    for _ in $(seq 300); do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            wait "$SERVER_PID" 2>/dev/null || true
            SERVER_PID=""
            return 1
        fi
        if "$PY" - "$PORT" 2>/dev/null <<'EOF'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=2) as r:
    sys.exit(0 if r.status == 200 and json.load(r).get("status") == "ok" else 1)
EOF
        then return 0; fi
        sleep 0.1
    done
    return 1
}

for mode in stateful stateless; do
    step="conformance suite ($mode HTTP)"
    begin
    if ! start_server "$mode"; then
        fail "$step" "server did not become healthy; build/conformance/server-$mode.log:"
        tail -n 20 "$OUT/server-$mode.log"
        stop_server
        continue
    fi
    baseline="$HERE/expected-failures.yml"
    if [[ $mode == stateless ]]; then
        # + server-sse-multiple-streams: it needs a session id, which a stateless server never issues.
        baseline="$OUT/expected-failures-stateless.yml"
        "$PY" "$HERE/conformance_report.py" baseline stateless "$HERE/expected-failures.yml" "$baseline"
    fi
    rc=0
    timeout 300 "$NODE22" "$CONFORMANCE_JS" server --url "http://127.0.0.1:$PORT/mcp" \
        --expected-failures "$baseline" -o "$OUT/$mode" >"$OUT/conformance-$mode.log" 2>&1 || rc=$?
    stop_server
    report_rc=0
    if [[ -d $OUT/$mode ]]; then
        "$PY" "$HERE/conformance_report.py" "$mode" "$OUT/$mode" "$HERE/expected-failures.yml" || report_rc=$?
    else
        report_rc=1
        tail -n 20 "$OUT/conformance-$mode.log"
    fi
    if [[ $rc -ne 0 ]]; then  # the suite's own verdict on the baseline, without colours
        sed 's/\x1b\[[0-9;]*m//g' "$OUT/conformance-$mode.log" \
            | awk '/^(Stale baseline entries|Unexpected failures \(not in baseline\))/ { p = 1 } p { print "    " $0 }'
    fi
    if [[ $rc -eq 0 && $report_rc -eq 0 ]]; then
        pass "$step" "no unexpected failure, baseline up to date"
    else
        fail "$step" "suite exit $rc, report exit $report_rc; see build/conformance/conformance-$mode.log"
    fi
done

# ------------------------------------------------------------------------ MCP Inspector CLI over stdio
inspect() {  # label method [inspector args...]: run one Inspector call and check its JSON
    local label=$1 method=$2 rc=0 msg
    shift 2
    local out="$OUT/inspector-$label.json"
    begin
    timeout 120 "$NODE" "$INSPECTOR_JS" --cli "$SERVER_BIN" --method "$method" "$@" \
        >"$out" 2>"$out.stderr" || rc=$?
    if [[ $rc -ne 0 ]]; then
        fail "inspector $label" "exit $rc: $(tail -c 300 "$out.stderr" | tr '\n' ' ')"
    elif msg="$("$PY" "$HERE/inspector_checks.py" "$method" "$out")"; then
        pass "inspector $label" "$msg"
    else
        fail "inspector $label" "$msg; output in ${out#"$ROOT"/}"
    fi
}
inspect tools-list tools/list
inspect define-term tools/call --tool-name define_term --tool-arg 'term="DPO"'
inspect resources-list resources/list
inspect resources-read resources/read --uri glossary://terms/dpo
inspect resources-templates-list resources/templates/list
inspect prompts-list prompts/list
inspect prompts-get-explain-term prompts/get --prompt-name explain_term --prompt-args term=DPO

# An unknown tool must be a JSON-RPC error (-32602), not an isError result: the Inspector exits 1.
begin
rc=0
timeout 120 "$NODE" "$INSPECTOR_JS" --cli "$SERVER_BIN" --method tools/call --tool-name no_such_tool \
    >"$OUT/inspector-unknown-tool.txt" 2>&1 || rc=$?
if [[ $rc -eq 1 ]] && grep -q -- "-32602.*Unknown tool" "$OUT/inspector-unknown-tool.txt"; then
    pass "inspector unknown-tool" "JSON-RPC error -32602"
else
    fail "inspector unknown-tool" "exit $rc: $(head -c 300 "$OUT/inspector-unknown-tool.txt" | tr '\n' ' ')"
fi

# ----------------------------------------------------------------------------- Claude Desktop bundle
begin
if "$NODE" "$MCPB_JS" validate manifest.json >"$OUT/mcpb-validate.log" 2>&1; then
    pass "mcpb validate manifest.json" "$(tail -n 1 "$OUT/mcpb-validate.log")"
else
    fail "mcpb validate manifest.json" "$(tr '\n' ' ' <"$OUT/mcpb-validate.log" | cut -c1-400)"
fi
begin
if [[ -s $OUT/inspector-tools-list.json && -s $OUT/inspector-prompts-list.json ]] \
    && msg="$("$PY" "$HERE/inspector_checks.py" manifest manifest.json "$OUT/inspector-tools-list.json" \
                  "$OUT/inspector-prompts-list.json" pyproject.toml)"; then
    pass "manifest matches the server" "$msg"
else
    fail "manifest matches the server" "${msg:-no tools/prompts list from the Inspector to compare with}"
fi

finish
