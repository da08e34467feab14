"""configs/deploy/ says what the README says: N stateless replicas probed on /healthz, the token from
a Secret, a Service in front, an image built with uv, and only settings the server knows.

`make deploy-check` lints the same files with hadolint and kubernetes-validate; the replicas behind
nginx are run for real by tests/stress/test_replicas_nginx.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ai_glossary_mcp.config import SETTINGS, TOKEN_ENV
from ai_glossary_mcp.data.load_cache import CACHE_ENV

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "configs" / "deploy"
KNOWN_ENV = {s.env for s in SETTINGS} | {TOKEN_ENV, CACHE_ENV}


def _kinds() -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / "kubernetes.yaml").read_text(encoding="utf-8")) if d]
    return {d["kind"]: d for d in docs}


def test_deployment_runs_stateless_replicas_probed_on_healthz_with_the_token_from_a_secret():
    deployment = _kinds()["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "--stateless" in container["args"]
    port = container["ports"][0]
    for probe in ("readinessProbe", "livenessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz" and get["port"] in (port["name"], port["containerPort"])
    env = {e["name"]: e for e in container["env"]}
    assert env[TOKEN_ENV]["valueFrom"]["secretKeyRef"]["key"]
    assert set(env) <= KNOWN_ENV, set(env) - KNOWN_ENV  # a misspelt variable would be silently ignored


def test_the_probes_pass_the_host_check_of_a_server_run_with_the_manifests_settings():
    # The kubelet sends Host: <pod IP> unless the probe names one; the server checks Host on /healthz too.
    # Run the server with the manifest's own allowed hosts and send each probe's request as the kubelet would.
    import httpx2

    from helpers import HttpSpec, http_servers

    (container,) = _kinds()["Deployment"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e and e["name"] != CACHE_ENV}
    hosts = "AI_GLOSSARY_MCP_ALLOWED_HOSTS"
    env[hosts] += ",127.0.0.1:*"  # for the test harness's readiness poll only; no probe sends it
    with http_servers(HttpSpec(("--stateless",), env=env)) as (srv,):
        base = srv.url.rsplit("/", 1)[0]
        for probe in ("readinessProbe", "livenessProbe"):
            get = container[probe]["httpGet"]
            headers = {h["name"]: h["value"] for h in get.get("httpHeaders", ())}
            headers.setdefault("Host", "10.1.2.3:8000")  # what the kubelet sends when the probe names none
            r = httpx2.get(base + get["path"], headers=headers, timeout=10)
            assert r.status_code == 200, (probe, r.status_code, r.text)


def test_service_selects_the_deployments_pods_and_targets_their_port():
    kinds = _kinds()
    labels = kinds["Deployment"]["spec"]["template"]["metadata"]["labels"]
    service = kinds["Service"]
    assert service["spec"]["selector"].items() <= labels.items()
    (container,) = kinds["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert service["spec"]["ports"][0]["targetPort"] in (
        container["ports"][0]["name"],
        container["ports"][0]["containerPort"],
    )


def test_dockerfile_builds_with_uv_runs_unprivileged_and_sets_only_known_settings():
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM ghcr\.io/astral-sh/uv:\S+ AS builder$", text, re.M)
    assert "uv pip install" in text and "COPY --from=builder /app/.venv /app/.venv" in text
    assert re.search(r"^USER (?!0|root)\S+$", text, re.M)
    set_env = set(re.findall(r"\b(AI_GLOSSARY_MCP_[A-Z_]+)=", text))
    assert set_env and set_env <= KNOWN_ENV, set_env - KNOWN_ENV
    assert "/healthz" in text


def test_nginx_config_retries_reads_on_another_replica():
    text = (DEPLOY / "nginx.conf").read_text(encoding="utf-8")
    assert len(re.findall(r"^\s*server 127\.0\.0\.1:\d+ ", text, re.M)) == 3
    assert re.search(r"proxy_next_upstream [^;]*\berror\b[^;]*\bnon_idempotent;", text)
    assert "proxy_set_header Host $http_host;" in text
