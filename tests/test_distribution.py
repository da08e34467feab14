"""What the project says about itself to installers and registries agrees with the code.

server.json (the official MCP registry's entry) is validated against a vendored copy of the
registry's schema, offline; its version, pyproject's, the mcpb manifest's and the package's are one
version; the manifest lists the served tools (the ToolName enum) and prompts; the descriptions fit
the registry's 100 characters; the environment variables it advertises are settings, described as
the settings table describes them; the README carries the registry's `mcp-name:` ownership line and
its one-click install links start this server.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import pytest
import tomllib
import yaml

from ai_glossary_mcp import __version__
from ai_glossary_mcp.app.tools import TOOL_NAMES
from ai_glossary_mcp.config import BY_NAME, CONFIG_ENV, SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "tests" / "fixtures" / "registry" / "server.schema.2025-12-11.json"
SERVER_JSON = json.loads((ROOT / "server.json").read_text(encoding="utf-8"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
MANIFEST = json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
REGISTRY_DESCRIPTION_LIMIT = 100


def test_server_json_is_valid_against_the_registry_schema():
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert SERVER_JSON["$schema"] == schema["$id"]
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(SERVER_JSON)
    ]
    assert not errors, errors


def test_the_vendored_schema_refuses_what_the_registry_refuses():
    # The copy is the real schema, not a permissive stand-in: it rejects a long description and a bad name.
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for bad in ({**SERVER_JSON, "description": "x" * 101}, {**SERVER_JSON, "name": "no-slash"}):
        assert not jsonschema.Draft7Validator(schema).is_valid(bad)


def test_one_version_everywhere():
    versions = {
        "pyproject": PYPROJECT["version"],
        "server.json": SERVER_JSON["version"],
        "server.json package": SERVER_JSON["packages"][0]["version"],
        "manifest.json": MANIFEST["version"],
        "ai_glossary_mcp.__version__": __version__,
    }
    assert len(set(versions.values())) == 1, versions


def test_descriptions_fit_the_registry_limit():
    for where, text in (
        ("pyproject", PYPROJECT["description"]),
        ("server.json", SERVER_JSON["description"]),
        ("manifest.json", MANIFEST["description"]),
    ):
        assert 0 < len(text) <= REGISTRY_DESCRIPTION_LIMIT, (where, len(text))


def test_the_registry_name_the_repository_and_the_readme_agree():
    owner, _repo = urlsplit(PYPROJECT["urls"]["Repository"]).path.strip("/").split("/")
    assert SERVER_JSON["name"] == f"io.github.{owner}/{PYPROJECT['name']}"
    assert SERVER_JSON["repository"] == {"url": PYPROJECT["urls"]["Repository"], "source": "github"}
    assert MANIFEST["repository"]["url"] == PYPROJECT["urls"]["Repository"]
    assert f"<!-- mcp-name: {SERVER_JSON['name']} -->" in README  # PyPI ownership check of the registry


def test_the_pypi_package_entry_runs_the_console_script_over_stdio_with_uvx():
    (package,) = SERVER_JSON["packages"]
    assert package["registryType"] == "pypi" and package["identifier"] == PYPROJECT["name"]
    assert package["runtimeHint"] == "uvx" and package["transport"] == {"type": "stdio"}
    assert PYPROJECT["name"] in PYPROJECT["scripts"]  # `uvx ai-glossary-mcp` runs the script of that name


def test_advertised_environment_variables_are_settings_described_as_the_settings_table_says():
    by_env = {s.env: s for s in SETTINGS}
    variables = SERVER_JSON["packages"][0]["environmentVariables"]
    assert variables
    for var in variables:
        if var["name"] == CONFIG_ENV:
            assert var["format"] == "filepath"
            continue
        setting = by_env[var["name"]]  # a KeyError is an advertised variable the server does not read
        assert var["description"].startswith(setting.help), var["name"]
        assert var["format"] == {"bool": "boolean", "int": "number"}.get(setting.kind, "string")
        if "default" in var:
            shown = var["default"]
            expected = (
                ("true" if setting.default else "false")
                if setting.kind == "bool"
                else ",".join(setting.default)
                if setting.kind == "list"
                else str(setting.default)
            )
            assert shown == expected, var["name"]
        assert var.get("choices", list(setting.choices)) == list(setting.choices)
    assert {v["name"] for v in variables} >= {BY_NAME["packs"].env, CONFIG_ENV}


def test_pyproject_metadata_for_pypi():
    import trove_classifiers

    assert set(PYPROJECT["urls"]) >= {"Homepage", "Repository", "Issues"}
    assert all(u.startswith("https://") for u in PYPROJECT["urls"].values())
    unknown = [c for c in PYPROJECT["classifiers"] if c not in trove_classifiers.classifiers]
    assert not unknown, unknown
    assert "License :: OSI Approved :: MIT License" in PYPROJECT["classifiers"]
    assert {"mcp", "glossary"} <= set(PYPROJECT["keywords"])


def test_the_bundled_pack_cites_a_source_that_is_in_the_repository():
    source = yaml.safe_load((ROOT / "glossary_data" / "ai-ml" / "pack.yaml").read_text(encoding="utf-8"))[
        "source"
    ]
    cited = re.findall(r"[\w./-]+\.txt", source)
    assert cited and all((ROOT / path).is_file() for path in cited), cited


def test_the_mcpb_manifest_has_an_icon_a_repository_extra_packs_and_its_platforms():
    icon = ROOT / MANIFEST["icon"]
    assert icon.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    option = MANIFEST["user_config"]["extra_packs"]
    assert option["type"] == "directory" and option["multiple"] is True and option["default"] == []
    args = MANIFEST["server"]["mcp_config"]["args"]
    assert args[-2:] == [
        "serve",
        "${user_config.extra_packs}",
    ]  # mcpb expands the list into PACK_DIR arguments
    compat = MANIFEST["compatibility"]
    assert set(compat["platforms"]) <= {"darwin", "win32", "linux"} and compat["runtimes"]["python"]
    assert "built for" in MANIFEST["long_description"]  # says a bundle serves the platform it was built on


@pytest.mark.anyio
async def test_the_mcpb_manifest_lists_the_tools_and_prompts_the_server_serves(client):
    # The manifest is what a bundle installer shows before the server ever runs: its tools are the
    # ToolName enum, in order, and exactly what tools/list answers; its prompts are the served ones.
    served_tools = [t.name for t in (await client.list_tools()).tools]
    served_prompts = sorted(p.name for p in (await client.list_prompts()).prompts)
    assert [t["name"] for t in MANIFEST["tools"]] == list(TOOL_NAMES) == served_tools
    assert sorted(p["name"] for p in MANIFEST["prompts"]) == served_prompts


def _install_links() -> dict[str, dict]:
    """The README's one-click install links, decoded to the server configuration they carry."""
    configs = {}
    for url in re.findall(
        r"\((https://[^)\s]*(?:vscode\.dev/redirect/mcp/install|cursor\.com/en/install-mcp)[^)\s]*)\)", README
    ):
        query = parse_qs(urlsplit(url).query)
        if "cursor.com" in url:
            configs.setdefault("cursor", json.loads(base64.b64decode(query["config"][0])))
        else:
            configs.setdefault("vscode", json.loads(unquote(query["config"][0])))
    return configs


def test_one_click_install_links_start_this_server_in_its_own_environment():
    links = _install_links()
    assert set(links) == {"vscode", "cursor"}, links
    for client, config in links.items():
        assert config["command"] == "uvx", client
        assert config["args"] == [PYPROJECT["name"]], client


@pytest.mark.parametrize("limit", [20_000])
def test_the_readme_is_short_enough_to_read(limit):
    assert len(README.encode("utf-8")) <= limit
