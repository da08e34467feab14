#!/usr/bin/env bash
# Build the Claude Desktop bundle (.mcpb) with `mcpb pack`; called by `make bundle` from the repo root.
#
# The bundle is manifest.json plus server/: this project's wheel (code and the bundled glossary pack)
# and its runtime dependencies, installed with `pip install --target`. The manifest runs
# `python3 -m ai_glossary_mcp` with PYTHONPATH=${__dirname}/server, so the user needs only a Python.
# pydantic-core and rapidfuzz are compiled: a bundle runs on one OS/CPU and one Python minor version.
# By default that is this machine's; to build for another, set both
#   MCPB_PLATFORM  a pip platform tag, e.g. macosx_11_0_arm64, win_amd64, manylinux2014_x86_64
#   MCPB_PYTHON    the Python version of the target, e.g. 3.12
# The bundled manifest's compatibility (platforms, runtimes.python) is narrowed to the target.
# Output: dist/ai-glossary-mcp-<version>-<platform>-py<XY>.mcpb
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
HERE=tests/conformance
PY="$ROOT/.venv/bin/python"
STAGE="$ROOT/build/mcpb"
WHEELS="$ROOT/build/mcpb-wheel"
# shellcheck source=tests/conformance/tools.sh
source "$HERE/tools.sh"   # pinned versions, NODE, MCPB_JS, ensure_tools

step() { echo "== $*"; }
die() { echo "FAIL  bundle: $*"; exit 1; }

[[ -x $PY ]] || die ".venv is not installed: run 'make bundle'"
[[ -n ${MCPB_PLATFORM:-} && -z ${MCPB_PYTHON:-} || -z ${MCPB_PLATFORM:-} && -n ${MCPB_PYTHON:-} ]] \
    && die "set both MCPB_PLATFORM and MCPB_PYTHON, or neither"
mkdir -p build
ensure_tools build/npm-install.log || die "$TOOLS_MSG"

step "glossary data"
"$ROOT/.venv/bin/ai-glossary-mcp" validate || die "the bundled glossary pack does not validate"
"$NODE" "$MCPB_JS" validate manifest.json || die "manifest.json does not validate"

step "wheel"
rm -rf "$STAGE" "$WHEELS"
mkdir -p "$STAGE/server" "$WHEELS"
"$PY" -m pip wheel --quiet --no-deps --wheel-dir "$WHEELS" . || die "pip wheel failed"
wheel="$(ls "$WHEELS"/ai_glossary_mcp-*.whl)"

step "dependencies into server/"
target=()
if [[ -n ${MCPB_PLATFORM:-} ]]; then
    target=(--platform "$MCPB_PLATFORM" --python-version "$MCPB_PYTHON" --implementation cp --only-binary=:all:)
fi
"$PY" -m pip install --quiet --no-compile --disable-pip-version-check --target "$STAGE/server" \
    "${target[@]}" "$wheel" || die "pip install --target failed"
rm -rf "$STAGE/server/bin"   # console scripts point at this machine's interpreter
cp icon.png "$STAGE/icon.png"

step "manifest"
# The repo's manifest, with compatibility narrowed to what was just built.
read -r os pyver tag < <("$PY" - "${MCPB_PLATFORM:-}" "${MCPB_PYTHON:-}" "$STAGE/manifest.json" <<'EOF'
import json, platform, sys, sysconfig
plat, pyver, dest = sys.argv[1:]
if not plat:
    plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    pyver = "%d.%d" % sys.version_info[:2]
os_name = "darwin" if plat.startswith("macosx") else "win32" if plat.startswith("win") else "linux"
major, minor = (int(x) for x in pyver.split(".")[:2])
m = json.load(open("manifest.json", encoding="utf-8"))
m["compatibility"] = dict(m.get("compatibility", {}), platforms=[os_name],
                          runtimes={"python": f">={major}.{minor} <{major}.{minor + 1}"})
json.dump(m, open(dest, "w", encoding="utf-8"), indent=2, ensure_ascii=False)
print(os_name, f"{major}{minor}", plat)
EOF
)
"$NODE" "$MCPB_JS" validate "$STAGE/manifest.json" >/dev/null || die "the staged manifest does not validate"

if [[ -z ${MCPB_PLATFORM:-} ]]; then
    step "smoke test: the staged bundle over stdio, with the base interpreter and no venv"
    base_py="$("$PY" -c 'import sys; print(sys._base_executable)')"
    out="$(cd "$STAGE" && timeout 120 "$NODE" "$INSPECTOR_JS" --cli -e PYTHONPATH="$STAGE/server" \
        "$base_py" -s -m ai_glossary_mcp --method tools/call --tool-name define_term --tool-arg 'term="DPO"')" \
        || die "the staged server does not answer over stdio"
    grep -q "Direct Preference Optimization" <<<"$out" || die "define_term(DPO) from the staged server: $out"
    echo "define_term(DPO) answered by the staged bundle"

    step "user_config: 'Extra glossary packs' as Claude Desktop resolves it (mcpb's getMcpConfigForManifest)"
    # mcpb expands the directory list into separate arguments after \`serve\`; an empty list adds none.
    resolve='import("'"$MODULES"'/@anthropic-ai/mcpb/dist/node.js").then(async m => {
        const manifest = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        const extra = process.argv.slice(2);
        const cfg = await m.getMcpConfigForManifest({manifest, extensionPath: process.env.STAGE, systemDirs: {},
            userConfig: extra.length ? {extra_packs: extra} : undefined, pathSeparator: "/"});
        console.log(JSON.stringify(cfg.args));
    })'
    args_none="$(STAGE="$STAGE" "$NODE" -e "$resolve" "$STAGE/manifest.json")"
    [[ $args_none == '["-m","ai_glossary_mcp","serve"]' ]] || die "extra_packs unset resolves to $args_none"
    mapfile -t packed_args < <(STAGE="$STAGE" "$NODE" -e "$resolve" "$STAGE/manifest.json" \
        "$ROOT/tests/fixtures/packs/valid" | "$PY" -c 'import json, sys; print(*json.load(sys.stdin), sep="\n")')
    out="$(cd "$STAGE" && timeout 120 "$NODE" "$INSPECTOR_JS" --cli -e PYTHONPATH="$STAGE/server" \
        "$base_py" -s "${packed_args[@]}" --method tools/call --tool-name define_term --tool-arg 'term="AA"')" \
        || die "the staged server with an extra pack does not answer over stdio"
    grep -q "Alpha Attention" <<<"$out" || die "define_term(AA) from the extra pack: $out"
    echo "define_term(AA) answered from the extra pack given as user_config (args: ${packed_args[*]})"
fi

step "mcpb pack"
version="$("$PY" -c 'import json; print(json.load(open("manifest.json"))["version"])')"
mkdir -p dist
output="dist/ai-glossary-mcp-$version-$tag-py$pyver.mcpb"
"$NODE" "$MCPB_JS" pack "$STAGE" "$output" >build/mcpb-pack.log 2>&1 || { cat build/mcpb-pack.log; die "mcpb pack failed"; }
sed -n '/Archive Details/,$p' build/mcpb-pack.log
[[ -s $output ]] || die "mcpb pack wrote nothing"
echo "PASS  bundle: $output ($os $tag, Python ${pyver:0:1}.${pyver:1})"
