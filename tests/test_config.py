"""Settings: precedence, validation, the generated configs/default.yaml and the client examples.

`load_config(flags, file, environ)` is called in-process with an explicit environment, so the
tests never depend on (or touch) the real process environment.
"""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import tomllib
import yaml

from ai_glossary_mcp.config import BY_NAME, CONFIG_ENV, SETTINGS, default_config_yaml, load_config
from ai_glossary_mcp.errors import ConfigError
from helpers import EXE, ROOT

CONFIGS = ROOT / "configs"
DEFAULTS = {s.name: s.default for s in SETTINGS}


def write(tmp_path: Path, text: str, name: str = "settings.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- precedence ------------------------------------------------------------------------------------
def test_defaults_with_nothing_given():
    assert dict(load_config({}, None, {}).values) == DEFAULTS


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path):
    path = write(tmp_path, "port: 1111\nhost: 10.0.0.1\npath: /from-file\nlog_level: error\n")
    env = {"AI_GLOSSARY_MCP_PORT": "2222", "AI_GLOSSARY_MCP_HOST": "10.0.0.2"}
    c = load_config({"port": 3333}, path, env)
    assert c.get("port") == 3333  # flag beats env and file
    assert c.get("host") == "10.0.0.2"  # env beats file
    assert c.get("path") == "/from-file"  # file beats default
    assert c.get("log_level") == "error"
    assert c.get("transport") == "stdio"  # default
    assert c.config_file == path


def test_flags_given_as_none_are_not_given(tmp_path):
    c = load_config({"port": None, "stateless": None}, write(tmp_path, "port: 1234\nstateless: true\n"), {})
    assert c.get("port") == 1234 and c.get("stateless") is True


def test_config_file_from_the_environment(tmp_path):
    path = write(tmp_path, "port: 4321\n")
    assert load_config({}, None, {CONFIG_ENV: path}).get("port") == 4321
    other = write(tmp_path, "port: 5432\n", "other.yaml")
    assert load_config({}, other, {CONFIG_ENV: path}).get("port") == 5432  # explicit file wins


def test_env_values_are_coerced(tmp_path):
    env = {
        "AI_GLOSSARY_MCP_STATELESS": "yes",
        "AI_GLOSSARY_MCP_WATCH": "0",
        "AI_GLOSSARY_MCP_PORT": " 9000 ",
        "AI_GLOSSARY_MCP_TRANSPORT": "HTTP",
        "AI_GLOSSARY_MCP_WATCH_INTERVAL": "200",
    }
    c = load_config({}, None, env)
    assert (c.get("stateless"), c.get("watch"), c.get("port")) == (True, False, 9000)
    assert c.get("transport") == "http" and c.get("watch_interval") == 200


def test_lists_from_env_are_comma_separated():
    env = {
        "AI_GLOSSARY_MCP_PACKS": "/srv/team-pack, /srv/other ,,",
        "AI_GLOSSARY_MCP_ALLOWED_HOSTS": "glossary.internal:*,10.0.0.5:8000",
    }
    c = load_config({}, None, env)
    assert c.get("packs") == ["/srv/team-pack", "/srv/other"]
    assert c.get("allowed_hosts") == ["glossary.internal:*", "10.0.0.5:8000"]


def test_lists_in_the_file_as_yaml_lists(tmp_path):
    c = load_config({}, write(tmp_path, "packs:\n  - /a\n  - /b\nallowed_origins: [https://x.example]\n"), {})
    assert c.get("packs") == ["/a", "/b"] and c.get("allowed_origins") == ["https://x.example"]


def test_nested_auth_tokens_file(tmp_path):
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("# comment\n\n tok-a \ntok-b\n", encoding="utf-8")
    c = load_config({}, write(tmp_path, f"auth:\n  tokens_file: {tokens}\n"), {})
    assert c.get("auth.tokens_file") == str(tokens)
    assert c.tokens() == ["tok-a", "tok-b"]
    env = {"AI_GLOSSARY_MCP_AUTH_TOKENS_FILE": "/from/env"}
    from_env = load_config({}, write(tmp_path, f"auth:\n  tokens_file: {tokens}\n"), env)
    assert from_env.get("auth.tokens_file") == "/from/env"


def test_tokens_file_without_tokens_is_rejected(tmp_path):
    tokens = tmp_path / "empty.txt"
    tokens.write_text("# nothing here\n", encoding="utf-8")
    c = load_config({}, write(tmp_path, f"auth:\n  tokens_file: {tokens}\n"), {})
    with pytest.raises(ConfigError, match=r"auth\.tokens_file"):
        c.tokens()


def test_an_empty_auth_section_is_accepted(tmp_path):
    # What a user gets by commenting out the only key of configs/default.yaml's `auth:` section.
    c = load_config({}, write(tmp_path, "port: 8001\nauth:\n  # tokens_file: /etc/glossary/tokens\n"), {})
    assert c.get("port") == 8001 and c.get("auth.tokens_file") == ""


# -- rejection -------------------------------------------------------------------------------------
def test_unknown_key_in_file_is_rejected_by_name(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_config({}, write(tmp_path, "prot: 8000\n"), {})
    assert "prot" in str(exc.value) and "unknown" in str(exc.value)


def test_unknown_nested_key_is_rejected_by_dotted_name(tmp_path):
    with pytest.raises(ConfigError, match=r"auth\.token_file"):
        load_config({}, write(tmp_path, "auth:\n  token_file: /x\n"), {})


def test_unknown_flag_is_rejected_by_name():
    with pytest.raises(ConfigError, match="colour"):
        load_config({"colour": "red"}, None, {})


@pytest.mark.parametrize(
    "key,value",
    [
        ("port", "abc"),
        ("port", 70000),
        ("port", -1),
        ("port", True),
        ("stateless", "maybe"),
        ("transport", "ftp"),
        ("log_level", "verbose"),
        ("watch_interval", 5),
        ("max_body_bytes", "1MB"),
        ("host", 5),
        ("packs", 3),
    ],
)
def test_bad_values_in_file_are_rejected_naming_the_key(tmp_path, key, value):
    with pytest.raises(ConfigError) as exc:
        load_config({}, write(tmp_path, yaml.safe_dump({key: value})), {})
    message = str(exc.value)
    assert message.startswith(f"{key} (from config file ")
    detail = message.split("): ", 1)[1]  # after the file name, whose temporary path may hold any digit
    assert repr(value) in detail  # a string quoted ('verbose'), a number as written


@pytest.mark.parametrize(
    "key,value", [("port", "abc"), ("port", "70000"), ("stateless", "maybe"), ("transport", "ftp")]
)
def test_bad_values_in_env_are_rejected_naming_the_variable(key, value):
    env_name = BY_NAME[key].env
    with pytest.raises(ConfigError) as exc:
        load_config({}, None, {env_name: value})
    assert f"{key} (from environment {env_name})" in str(exc.value)


@pytest.mark.parametrize("key,value", [("port", 70000), ("stateless", "maybe"), ("transport", "ftp")])
def test_bad_flag_values_are_rejected_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=f"^{key} \\(from command line\\)"):
        load_config({key: value}, None, {})


def test_a_fractional_port_is_not_silently_truncated(tmp_path):
    with pytest.raises(ConfigError, match="port"):
        load_config({}, write(tmp_path, "port: 8080.9\n"), {})


def test_invalid_yaml_names_file_and_line(tmp_path):
    path = write(tmp_path, "port: 8000\nhost: [unclosed\n")
    with pytest.raises(ConfigError) as exc:
        load_config({}, path, {})
    assert f"{path}:" in str(exc.value) and "invalid YAML" in str(exc.value)


def test_missing_config_file_is_a_config_error():
    with pytest.raises(ConfigError, match=r"/nonexistent\.yaml"):
        load_config({}, "/nonexistent.yaml", {})


def test_non_mapping_file_is_rejected(tmp_path):
    with pytest.raises(ConfigError, match="mapping"):
        load_config({}, write(tmp_path, "- port\n- 8000\n"), {})


# -- configs/default.yaml --------------------------------------------------------------------------
def test_default_yaml_is_generated_from_the_settings_table():
    path = CONFIGS / "default.yaml"
    assert path.is_file(), "run `make schema` to generate configs/default.yaml"
    assert path.read_text(encoding="utf-8") == default_config_yaml()


def test_default_yaml_loads_to_the_defaults():
    c = load_config({}, str(CONFIGS / "default.yaml"), {})
    assert dict(c.values) == DEFAULTS


def test_every_setting_is_documented_with_its_env_var():
    text = (CONFIGS / "default.yaml").read_text(encoding="utf-8")
    parsed = yaml.safe_load(text)
    for s in SETTINGS:
        assert f"(env {s.env})" in text, s.name
        node = parsed
        for part in s.name.split("."):
            node = node[part]
        assert node == s.default, s.name
    assert len(SETTINGS) == len(BY_NAME)
    assert all(s.env.startswith("AI_GLOSSARY_MCP_") and s.env.isupper() for s in SETTINGS)


# -- client configuration examples -----------------------------------------------------------------
def _scripts() -> dict[str, str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]


def _server(name: str) -> dict:
    data = json.loads((CONFIGS / name).read_text(encoding="utf-8"))
    assert set(data) == {"mcpServers"}
    assert list(data["mcpServers"]) == ["ai-glossary"]
    return data["mcpServers"]["ai-glossary"]


@pytest.mark.parametrize("name", ["claude-desktop.json", "claude-code.json"])
def test_stdio_client_examples_launch_the_console_script(name):
    entry = _server(name)
    scripts = _scripts()
    assert entry["command"] in scripts  # the declared console script, not a path
    module, _, func = scripts[entry["command"]].partition(":")
    assert callable(getattr(import_module(module), func))
    assert EXE.name == entry["command"] and EXE.is_file()  # and it is what the install created
    assert entry.get("args", []) == [] and "url" not in entry
    if name == "claude-code.json":
        assert entry["type"] == "stdio"


def test_http_client_example_points_at_the_default_endpoint():
    entry = _server("http-client.json")
    assert entry["type"] == "http" and "command" not in entry
    url = urlsplit(entry["url"])
    assert url.scheme == "http"
    assert url.hostname == BY_NAME["host"].default and url.port == BY_NAME["port"].default
    assert url.path == BY_NAME["path"].default
