"""Assertions on the JSON that `mcp-inspector --cli` prints, one check per method.

Usage: python inspector_checks.py CHECK FILE.json  (run.sh calls it after each Inspector call)
       python inspector_checks.py manifest MANIFEST.json TOOLS_LIST.json PROMPTS_LIST.json PYPROJECT.toml
Prints one line saying what was verified; exits 1 with the reason on the first mismatch.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from typing import Any

from ai_glossary_mcp.app.tools import TOOL_NAMES

TOOLS = set(TOOL_NAMES)
PROMPTS = {"explain_term", "compare_terms", "walk_through_formula"}
DPO = "Direct Preference Optimization"
DPO_URI = "glossary://terms/dpo"


class CheckFailed(Exception):
    pass


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def load(path: str) -> Any:
    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckFailed(f"output is not JSON ({exc}); first 300 chars: {text[:300]!r}") from None


def tools_list(out: Any) -> str:
    tools = out.get("tools") or []
    names = {t.get("name") for t in tools}
    expect(
        names == TOOLS, f"tool names differ: missing {sorted(TOOLS - names)}, extra {sorted(names - TOOLS)}"
    )
    for t in tools:
        name = t["name"]
        expect(t.get("inputSchema", {}).get("type") == "object", f"{name}: inputSchema is not an object")
        expect(bool(t.get("description")), f"{name}: no description")
        expect(t.get("annotations", {}).get("readOnlyHint") is True, f"{name}: not annotated readOnlyHint")
    return f"{len(tools)} tools, all read-only with object input schemas"


def tools_call_define(out: Any) -> str:
    expect(not out.get("isError"), f"define_term returned isError: {json.dumps(out)[:300]}")
    content = out.get("content") or []
    expect(content and content[0].get("type") == "text", "no text content block")
    result = out.get("structuredContent") or json.loads(content[0]["text"])
    expect(result.get("found") is True, f"found is not true: {json.dumps(result)[:300]}")
    entry = result.get("entry") or {}
    expect(entry.get("id") == "dpo", f"entry id is {entry.get('id')!r}, not 'dpo'")
    expect(entry.get("term") == DPO, f"entry term is {entry.get('term')!r}")
    expect(entry.get("acronym") == "DPO", f"acronym is {entry.get('acronym')!r}")
    expect(bool(entry.get("definition")), "empty definition")
    return f"define_term(DPO) -> {entry['term']} ({entry.get('uri', DPO_URI)})"


def resources_list(out: Any) -> str:
    uris = {r.get("uri") for r in out.get("resources") or []}
    for want in ("glossary://about", "glossary://index", "glossary://categories", DPO_URI):
        expect(want in uris, f"{want} not in resources/list")
    terms = [u for u in uris if u and u.startswith("glossary://terms/")]
    return f"{len(uris)} resources ({len(terms)} entries) incl. about, index, categories, {DPO_URI}"


def resources_read(out: Any) -> str:
    contents = out.get("contents") or []
    expect(len(contents) == 1, f"expected 1 content item, got {len(contents)}")
    c = contents[0]
    expect(c.get("uri") == DPO_URI, f"uri is {c.get('uri')!r}")
    expect(c.get("mimeType") == "text/markdown", f"mimeType is {c.get('mimeType')!r}")
    expect(DPO in (c.get("text") or ""), f"{DPO!r} not in the resource text")
    return f"{DPO_URI} is text/markdown and names {DPO}"


def resources_templates_list(out: Any) -> str:
    templates = {t.get("uriTemplate") for t in out.get("resourceTemplates") or []}
    for want in ("glossary://terms/{id}", "glossary://terms/{id}.json"):
        expect(want in templates, f"{want} not in resources/templates/list (got {sorted(templates)})")
    return f"templates: {', '.join(sorted(templates))}"


def prompts_list(out: Any) -> str:
    prompts = {p.get("name"): p for p in out.get("prompts") or []}
    expect(set(prompts) == PROMPTS, f"prompt names are {sorted(prompts)}, expected {sorted(PROMPTS)}")
    args = {a.get("name"): a for a in prompts["explain_term"].get("arguments") or []}
    expect(
        args.get("term", {}).get("required") is True, "explain_term: argument 'term' missing or not required"
    )
    return f"prompts: {', '.join(sorted(PROMPTS))} (explain_term: term required)"


def prompts_get_explain(out: Any) -> str:
    messages = out.get("messages") or []
    expect(len(messages) >= 2, f"expected at least 2 messages, got {len(messages)}")
    blob = json.dumps(messages, ensure_ascii=False)
    expect(DPO in blob, f"{DPO!r} not in the prompt messages")
    resources = [m["content"]["resource"] for m in messages if m.get("content", {}).get("type") == "resource"]
    expect(any(r.get("uri") == DPO_URI for r in resources), f"no embedded resource {DPO_URI}")
    return f"explain_term(DPO): {len(messages)} messages, embeds {DPO_URI}"


def manifest(manifest_path: str, tools_path: str, prompts_path: str, pyproject_path: str) -> str:
    m = load(manifest_path)
    served_tools = {t["name"] for t in load(tools_path).get("tools", [])}
    served_prompts = {p["name"] for p in load(prompts_path).get("prompts", [])}
    listed_tools = {t["name"] for t in m.get("tools", [])}
    listed_prompts = {p["name"] for p in m.get("prompts", [])}
    expect(
        listed_tools == served_tools,
        f"manifest tools {sorted(listed_tools)} != served {sorted(served_tools)}",
    )
    expect(
        listed_prompts == served_prompts,
        f"manifest prompts {sorted(listed_prompts)} != served {sorted(served_prompts)}",
    )
    with open(pyproject_path, encoding="utf-8") as fh:  # no tomllib: the project supports Python 3.10
        found = re.search(r'^version\s*=\s*"([^"]+)"', fh.read(), re.MULTILINE)
    expect(found is not None, f"no version line in {pyproject_path}")
    version = found.group(1)
    expect(m.get("version") == version, f"manifest version {m.get('version')} != pyproject version {version}")
    return (
        f"manifest lists the {len(served_tools)} served tools and {len(served_prompts)} prompts; "
        f"version {version}"
    )


CHECKS: dict[str, Callable[[Any], str]] = {
    "tools/list": tools_list,
    "tools/call": tools_call_define,
    "resources/list": resources_list,
    "resources/read": resources_read,
    "resources/templates/list": resources_templates_list,
    "prompts/list": prompts_list,
    "prompts/get": prompts_get_explain,
}


def main(argv: list[str]) -> int:
    try:
        if argv[:1] == ["manifest"] and len(argv) == 5:
            print(manifest(*argv[1:]))
        elif len(argv) == 2 and argv[0] in CHECKS:
            print(CHECKS[argv[0]](load(argv[1])))
        else:
            print(__doc__, file=sys.stderr)
            return 2
    except CheckFailed as exc:
        print(f"check failed: {exc}")
        return 1
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        print(f"check failed: unexpected output shape ({type(exc).__name__}: {exc})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
