"""Settings, declared once as data: name, type, default, help.

The table below is the single source for the config file format, the
environment variables (`AI_GLOSSARY_MCP_<NAME>`, dots become underscores)
and the documented defaults in configs/default.yaml (a test keeps that file
in step with this table). Precedence: command-line flags > environment >
config file > defaults. Unknown keys and bad values are rejected with the
key's name, because a silently ignored typo in a deployment is worse than a
refusal to start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ai_glossary_mcp.errors import ConfigError

ENV_PREFIX = "AI_GLOSSARY_MCP_"
CONFIG_ENV = ENV_PREFIX + "CONFIG"
TOKEN_ENV = ENV_PREFIX + "TOKEN"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "str" | "int" | "bool" | "list"
    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper().replace(".", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "transport",
        "str",
        "stdio",
        "How clients connect: stdio (one client, launched by it) or http.",
        choices=("stdio", "http"),
    ),
    Setting(
        "host",
        "str",
        "127.0.0.1",
        "HTTP bind address. Loopback by default; anything else warns unless auth is configured.",
    ),
    Setting("port", "int", 8000, "HTTP port.", minimum=0, maximum=65535),
    Setting("path", "str", "/mcp", "HTTP path of the MCP endpoint."),
    Setting(
        "stateless",
        "bool",
        False,
        "HTTP without sessions, JSON responses: for replicas behind a load balancer.",
    ),
    Setting(
        "packs",
        "list",
        [],
        "Extra glossary pack directories, served after the bundled pack (later packs may "
        "override entries that set `overrides: true`).",
    ),
    Setting("bundled", "bool", True, "Serve the bundled ai-ml pack first."),
    Setting(
        "watch",
        "bool",
        False,
        "Reload packs when their files change (the last good glossary keeps serving if a change is invalid).",
    ),
    Setting(
        "watch_interval",
        "int",
        1000,
        "How often --watch checks pack files, in milliseconds.",
        minimum=100,
        maximum=60000,
    ),
    Setting(
        "load_cache",
        "bool",
        True,
        "Serve a compiled SQLite copy of the glossary, kept in the user's cache "
        "directory while the pack files are unchanged: fast starts, small memory at any size.",
    ),
    Setting("log_level", "str", "warning", "Log level (logs always go to stderr).", choices=LOG_LEVELS),
    Setting(
        "allowed_hosts",
        "list",
        ["127.0.0.1:*", "localhost:*", "[::1]:*"],
        "Host header values accepted over HTTP (DNS-rebinding protection).",
    ),
    Setting(
        "allowed_origins",
        "list",
        ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        "Origin header values accepted over HTTP (DNS-rebinding protection).",
    ),
    Setting(
        "max_body_bytes",
        "int",
        1_048_576,
        "Largest accepted HTTP request body; larger gets 413.",
        minimum=1024,
        maximum=64 * 1_048_576,
    ),
    Setting(
        "max_sessions",
        "int",
        256,
        "Most concurrent HTTP sessions (stateful mode).",
        minimum=1,
        maximum=100_000,
    ),
    Setting(
        "session_idle_timeout",
        "int",
        1800,
        "Seconds before an idle HTTP session expires (stateful mode).",
        minimum=10,
        maximum=86_400,
    ),
    Setting(
        "auth.tokens_file",
        "str",
        "",
        "File of accepted bearer tokens, one per line ('#' comments). With it, "
        "or AI_GLOSSARY_MCP_TOKEN, HTTP requires `Authorization: Bearer <token>`.",
    ),
)
BY_NAME = {s.name: s for s in SETTINGS}


def _coerce(setting: Setting, value: Any, source: str) -> Any:
    where = f"{setting.name} (from {source})"
    if setting.kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in (
            "1",
            "true",
            "yes",
            "on",
            "0",
            "false",
            "no",
            "off",
        ):
            return value.strip().lower() in ("1", "true", "yes", "on")
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if setting.kind == "int":
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected an integer, got {value!r}") from None
        if (setting.minimum is not None and number < setting.minimum) or (
            setting.maximum is not None and number > setting.maximum
        ):
            raise ConfigError(f"{where}: {number} is outside {setting.minimum}..{setting.maximum}")
        return number
    if setting.kind == "list":
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
        return list(value)
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    if setting.choices and value.lower() not in setting.choices:
        raise ConfigError(f"{where}: {value!r} is not one of {', '.join(setting.choices)}")
    return value.lower() if setting.choices else value


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if value is None and any(s.name.startswith(name + ".") for s in SETTINGS):
            continue  # an empty section (`auth:` with every key commented out)
        if isinstance(value, dict) and not any(s.name == name for s in SETTINGS):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    import yaml  # only for config files; a plain start needs none

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"config file {path}{line}: invalid YAML") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected a mapping of settings")
    flat = _flatten(data)
    unknown = sorted(k for k in flat if k not in BY_NAME)
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(BY_NAME)}"
        )
    return flat


@dataclass(frozen=True)
class Config:
    values: Mapping[str, Any]
    config_file: str | None = None

    def get(self, name: str) -> Any:
        return self.values[name]

    def tokens(self) -> list[str]:
        """Accepted bearer tokens: the tokens file plus AI_GLOSSARY_MCP_TOKEN."""
        tokens: list[str] = []
        path = self.values["auth.tokens_file"]
        if path:
            try:
                lines = Path(path).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"auth.tokens_file: cannot read {path}: {exc}") from None
            tokens += [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
            if not tokens:
                raise ConfigError(f"auth.tokens_file: {path} holds no tokens")
        env_token = os.environ.get(TOKEN_ENV, "").strip()
        if env_token:
            tokens.append(env_token)
        return tokens


def load_config(
    flags: Mapping[str, Any] | None = None,
    config_file: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Config:
    """Merge defaults < file < environment < flags (flags with value None are 'not given')."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    path = config_file or env.get(CONFIG_ENV) or None
    if path:
        for name, raw in read_config_file(Path(path)).items():
            values[name] = _coerce(BY_NAME[name], raw, f"config file {path}")
    for setting in SETTINGS:
        if setting.env in env:
            values[setting.name] = _coerce(setting, env[setting.env], f"environment {setting.env}")
    for name, raw in (flags or {}).items():
        if raw is None:
            continue
        if name not in BY_NAME:
            raise ConfigError(f"unknown setting {name}")
        values[name] = _coerce(BY_NAME[name], raw, "command line")
    return Config(values=values, config_file=path)


def default_config_yaml() -> str:
    """configs/default.yaml, generated from SETTINGS (a test compares the committed file)."""
    lines = [
        "# ai-glossary-mcp settings, with their defaults.",
        "# Select another file with --config FILE or AI_GLOSSARY_MCP_CONFIG; any setting can also come from",
        "# the environment as AI_GLOSSARY_MCP_<NAME> (dots become underscores; lists are comma-separated).",
        "# Precedence: command-line flags > environment > this file > built-in defaults.",
        "",
    ]
    section = None
    for s in SETTINGS:
        head, _, leaf = s.name.rpartition(".")
        if head != (section or ""):
            if head:
                lines += [f"{head}:"]
            section = head
        indent = "  " if head else ""
        lines.append(f"{indent}# {s.help} (env {s.env})")
        lines.append(f"{indent}{leaf}: {_yaml_value(s.default)}")
        lines.append("") if not head else None
    return "\n".join(line for line in lines if line is not None).rstrip() + "\n"


def _yaml_value(value: Any) -> str:
    import yaml

    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("\n...").removesuffix(" ...")


__all__ = ["SETTINGS", "Config", "Setting", "default_config_yaml", "load_config", "read_config_file"]
