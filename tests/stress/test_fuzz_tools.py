"""Property-based fuzzing of every tool, resource URI, prompt and completion through the SDK's
in-process `mcp.Client` (no mocks): arbitrary Unicode (lone surrogates, bidi marks, zero-width
characters, NUL and other controls), 10 MB strings, wrong types, missing and extra fields, huge
and negative limits, forged cursors.

Invariant for a tool call: either a result whose structured content validates against the
tool's output schema (and whose text copy is the same JSON), or `isError` with a short,
non-empty message that is not a traceback. The only exception allowed is the JSON-RPC error
-32602 for an unknown tool. Every call runs under `anyio.fail_after` (no hangs), and after
each property a normal `define_term("DPO")` must still answer.

The client runs in an anyio blocking portal (one event loop thread for the module), so the
hypothesis tests themselves are plain synchronous functions.
"""

from __future__ import annotations

import base64
import json
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import jsonschema
import pydantic
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp_types import PromptReference, ResourceTemplateReference

from ai_glossary_mcp.app.checks import related_kinds
from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.app.tools import TOOL_NAMES
from ai_glossary_mcp.data.loader import load_glossary
from ai_glossary_mcp.formulas.evaluator import EVALUATORS
from ai_glossary_mcp.serving.mcp_server import create_server
from ai_glossary_mcp.serving.resources import JSON_TEMPLATE_URI, TEMPLATE_URI

from ._util import env_int

pytestmark = pytest.mark.stress

EXAMPLES = env_int("STRESS_FUZZ_EXAMPLES", 150)  # per property
CALL_TIMEOUT = 15.0  # seconds, per call (generous: the machine may be shared)
BIG_TIMEOUT = 60.0  # per call carrying a 10 MB string
MAX_ERROR_CHARS = 4000  # an error message must not echo a huge input back
TEN_MB = 10 * 1024 * 1024

TOOLS = TOOL_NAMES
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, print_blob=True, suppress_health_check=list(HealthCheck)
)


# -- the harness ------------------------------------------------------------------------------
@dataclass
class Harness:
    portal: Any
    client: Any
    tools: dict[str, Any]
    outcomes: Counter = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    calls: int = 0

    def run(self, fn: Any, *args: Any, timeout: float = CALL_TIMEOUT) -> Any:
        async def bounded() -> Any:
            with anyio.fail_after(timeout):
                return await fn(*args)

        self.calls += 1
        t0 = time.perf_counter()
        try:
            return self.portal.call(bounded)
        finally:
            self.latencies.append(time.perf_counter() - t0)

    def call_tool(self, name: str, args: Any, timeout: float = CALL_TIMEOUT) -> str:
        """Call a tool and check the invariant; returns the outcome kind."""
        try:
            result = self.run(self.client.call_tool, name, args, timeout=timeout)
        except TimeoutError:
            raise AssertionError(f"{name} hung for more than {timeout}s on {_short(args)}") from None
        except MCPError as exc:
            assert name not in self.tools, f"{name} raised JSON-RPC error {exc.code} {exc}: {_short(args)}"
            assert exc.code == -32602 and "Unknown tool" in str(exc), (exc.code, str(exc)[:300])
            return self._count("unknown_tool")
        except (UnicodeEncodeError, pydantic.ValidationError) as exc:
            # The SDK *client* refuses to build the request (e.g. a lone surrogate in the tool name goes
            # into an Mcp-Name header). Nothing reached the server; the raw-protocol tests cover that path.
            if _origin(exc) != "client":
                raise
            return self._count("client_refused")
        return self._count(check_tool_result(self.tools, name, result, args))

    def _count(self, kind: str) -> str:
        self.outcomes[kind] += 1
        return kind

    def still_healthy(self) -> None:
        result = self.run(self.client.call_tool, "define_term", {"term": "DPO"})
        assert not result.is_error and result.structured_content["entry"]["id"] == "dpo", result


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} chars)"


def _origin(exc: BaseException) -> str:
    """'server' if the traceback passes through server code, else 'client'."""
    for frame in traceback.extract_tb(exc.__traceback__):
        if "/mcp/server/" in frame.filename or "/ai_glossary_mcp/" in frame.filename:
            return "server"
    return "client"


def check_tool_result(tools: dict[str, Any], name: str, result: Any, args: Any) -> str:
    if result.is_error:
        assert result.content, f"{name}: isError without content for {_short(args)}"
        text = getattr(result.content[0], "text", "")
        assert text and text.strip(), f"{name}: empty error message for {_short(args)}"
        assert "Traceback" not in text, f"{name}: traceback in error: {text[:500]}"
        assert len(text) <= MAX_ERROR_CHARS, (
            f"{name}: error message of {len(text):,} chars for {_short(args)}"
        )
        return "tool_error"
    structured = result.structured_content
    assert structured is not None, f"{name}: success without structured content for {_short(args)}"
    jsonschema.validate(structured, tools[name].output_schema)
    assert json.loads(result.content[0].text) == structured
    return "ok"


@pytest.fixture(scope="module")
def harness():
    service = GlossaryService(load_glossary())
    with anyio.from_thread.start_blocking_portal(backend="asyncio") as portal:
        # cache=None: every read really reaches the server.
        cm = portal.wrap_async_context_manager(Client(create_server(service), cache=None))
        with cm as client:
            listed = portal.call(client.list_tools)
            yield Harness(portal, client, {t.name: t for t in listed.tools})


class Measured:
    """Counts the examples of one check and fills its summary row, also when the check fails."""

    def __init__(self, rec: Any, h: Harness):
        self.rec, self.h, self.examples = rec, h, 0
        self.calls, self.lat, self.outcomes = h.calls, len(h.latencies), Counter(h.outcomes)

    def __enter__(self) -> Measured:
        return self

    def __exit__(self, exc_type: Any, *rest: Any) -> None:
        if exc_type is None:
            self.h.still_healthy()  # after the abuse, a normal call still works
        self.rec.inputs = self.examples
        self.rec.requests = self.h.calls - self.calls
        self.rec.latencies = self.h.latencies[self.lat :]
        delta = self.h.outcomes - self.outcomes
        self.rec.details["outcomes"] = dict(delta)
        self.rec.add_note(", ".join(f"{k}={v}" for k, v in sorted(delta.items())))


# -- strategies -------------------------------------------------------------------------------
SPECIALS = [
    "\u200f",
    "\u200e",
    "\u202e",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u061c",  # bidi marks and overrides
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",  # zero-width, BOM
    "\x00",
    "\x01",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\r",
    "\n",
    "\t",
    "\v",
    "\f",  # controls
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u3000",
    "\u180e",  # separators and odd spaces
    "\ud800",
    "\udfff",
    "\udbff",
    "\udc00",  # lone surrogates
    "\ufffd",
    "\uffff",
    "\U0010ffff",
    "\U000e0001",  # replacement, noncharacters, tags
    "\u0301",
    "\u0336",
    "e\u0301",
    "𝒜",
    "ǅ",
    "İ",
    "ß",
    "ﬁ",
    "Ⅻ",
    "①",
    "٣",
    "ﾃ",
    "Ａ",  # combining, compat
    "../",
    "%2e%2e/",
    "%00",
    "\\",
    '"',
    "'",
    "{{7*7}}",
    "${x}",
    "<script>",
    "--",
    "*",
    "?",
    ",",
    ";",
]
TERMS = [
    "DPO",
    "KV-Cache",
    "kv cache",
    "LoRA",
    "rotary embeddings",
    "tranformer",
    "Transformer",
    "GRPO",
    "softmax",
    "MoE",
    "RLHF",
    "self-attention",
    "A",
    "",
    " ",
]
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())  # incl. surrogates


@st.composite
def evil_text(draw: Any, max_pieces: int = 12) -> str:
    kind = draw(st.integers(0, 7))
    if kind == 6:  # printable text with format characters (zero-width, bidi): accepted by the server
        return draw(st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs", "Cf")), max_size=60))
    if kind == 7:  # a real term with only zero-width / bidi characters spliced in
        term = draw(st.sampled_from(TERMS[:-2]))
        for ch in draw(
            st.lists(
                st.sampled_from(["\u200b", "\u200f", "\u202e", "\ufeff", "\u2066", "\u00ad"]),
                min_size=1,
                max_size=3,
            )
        ):
            at = draw(st.integers(0, len(term)))
            term = term[:at] + ch + term[at:]
        return term
    if kind == 0:
        return draw(st.text(ANY_CHAR, max_size=40))
    if kind == 1:
        pieces = draw(
            st.lists(st.sampled_from(SPECIALS) | st.text(ANY_CHAR, max_size=3), max_size=max_pieces)
        )
        return "".join(pieces)
    if kind == 2:  # a real term with specials spliced in
        term = draw(st.sampled_from(TERMS))
        for ch in draw(st.lists(st.sampled_from(SPECIALS), max_size=3)):
            at = draw(st.integers(0, len(term)))
            term = term[:at] + ch + term[at:]
        return term
    if kind == 3:  # around the length limits (500 for terms, 100 for symbols, 200 for cursors)
        n = draw(st.sampled_from([99, 100, 101, 199, 200, 201, 499, 500, 501, 1000]))
        return draw(st.sampled_from(["a", "é", "𝒜", " ", "\u200b", "DPO "])) * n
    if kind == 4:
        return draw(st.sampled_from(TERMS))
    return draw(st.text(st.characters(codec="utf-8"), max_size=80))


TEXT = evil_text()
BIG_INTS = st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, 2**63, 2**64, -(2**63), 10**100, -(10**100), 10**400])
NUMBERS = st.one_of(
    st.integers(),
    BIG_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 1e-300]),
)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(TEXT, children, max_size=5),
    max_leaves=15,
)
LIMITS = st.integers(1, 50) | st.one_of(
    st.integers(-(10**30), 10**30),
    BIG_INTS,
    st.integers(-3, 210),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from(["5", "ten", "", None, [5], {"n": 5}]),
)
CATEGORIES = tuple(load_glossary().vocabulary.categories)  # the served categories, as the tools see them
CATEGORY = st.one_of(
    st.sampled_from(
        [""] + list(CATEGORIES) + [c.upper() for c in CATEGORIES] + ["Fine Tuning", "fine_tuning"]
    ),
    TEXT,
)


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def forged(offset: Any, signature: Any) -> str:
    return b64(json.dumps({"o": offset, "f": signature}).encode())


CURSORS = st.one_of(
    st.just(""),
    st.binary(max_size=160).map(b64),  # random base64
    st.builds(
        forged,
        st.one_of(
            st.integers(-(10**20), 10**20),
            BIG_INTS,
            st.integers(-5, 300),
            st.floats(allow_nan=False),
            st.booleans(),
            st.none(),
            TEXT,
            st.just([1]),
        ),
        st.one_of(st.sampled_from(["|", "A|", "|alignment", "Z|agents", "", "#|"]), TEXT),
    ),
    st.sampled_from(
        [
            b64(b"[1,2]"),
            b64(b"null"),
            b64(b'"x"'),
            b64(b"1e400"),
            b64(b'{"o":1e400,"f":"|"}'),
            b64(b'{"o":5}'),
            b64(b'{"f":"|"}'),
            b64(b"\xff\xfe"),
            b64(b'{"o":5,"f":"|"}') + "====",
            "=" * 10,
            "-_" * 50,
            "A" * 200,
            "A" * 201,
        ]
    ),
    TEXT,
)


def formula_inputs() -> st.SearchStrategy:
    vec = st.lists(NUMBERS, max_size=8)
    small = st.lists(st.floats(-5, 5), min_size=1, max_size=8)
    matrix = st.lists(st.lists(st.floats(-3, 3), min_size=1, max_size=4), min_size=1, max_size=4)
    ragged = st.lists(st.lists(NUMBERS, max_size=4), max_size=4)
    value = st.one_of(NUMBERS, vec, small, matrix, ragged, JSON)
    names = st.sampled_from(
        [
            "logits",
            "Q",
            "K",
            "V",
            "probabilities",
            "log_pi_theta_y_w",
            "log_pi_ref_y_w",
            "log_pi_theta_y_l",
            "log_pi_ref_y_l",
            "beta",
            "rewards",
            "ratios",
            "epsilon",
            "kl",
            "r_t",
            "A_t",
            "x",
            "m",
            "base",
            "y",
            "n",
            "N",
            "D",
            "A",
            "B",
            "L_inf",
            "alpha",
        ]
    )
    return st.one_of(st.dictionaries(names, value, max_size=8), st.dictionaries(TEXT, JSON, max_size=4), JSON)


def _vec(lo: float, hi: float, min_size: int = 1, max_size: int = 8) -> st.SearchStrategy:
    return st.lists(st.floats(lo, hi) | st.sampled_from([lo, hi]), min_size=min_size, max_size=max_size)


@st.composite
def _attention(draw: Any) -> dict[str, Any]:
    n_q, n_k, d_k, d_v = (draw(st.integers(1, 4)) for _ in range(4))
    cell = st.floats(-1e3, 1e3) | st.sampled_from([0.0, 1e154, -1e154])
    mat = lambda r, c: st.lists(st.lists(cell, min_size=c, max_size=c), min_size=r, max_size=r)  # noqa: E731
    return {"Q": draw(mat(n_q, d_k)), "K": draw(mat(n_k, d_k)), "V": draw(mat(n_k, d_v))}


PLAUSIBLE_INPUTS: dict[str, st.SearchStrategy] = {
    "softmax": st.fixed_dictionaries({"logits": _vec(-1e6, 1e6, max_size=40)}),
    "self-attention": _attention(),
    "loss-function": st.fixed_dictionaries({"probabilities": _vec(1e-300, 1.0)}),
    "dpo": st.fixed_dictionaries(
        {
            k: st.floats(-1e4, 0.0)
            for k in ("log_pi_theta_y_w", "log_pi_ref_y_w", "log_pi_theta_y_l", "log_pi_ref_y_l")
        },
        optional={"beta": st.floats(1e-6, 1e3)},
    ),
    "grpo": st.fixed_dictionaries(
        {"rewards": _vec(-1e6, 1e6)}, optional={"epsilon": st.floats(0.01, 0.99), "beta": st.floats(0, 10)}
    ),
    "rlhf": st.fixed_dictionaries(
        {"r_t": st.floats(0, 1e6), "A_t": st.floats(-1e6, 1e6)}, optional={"epsilon": st.floats(0.01, 0.99)}
    ),
    "rope": st.integers(1, 8).flatmap(
        lambda n: st.fixed_dictionaries(
            {"x": _vec(-1e3, 1e3, 2 * n, 2 * n), "m": st.integers(0, 1_000_000)},
            optional={"base": st.floats(1.0001, 1e9)},
        )
    ),
    "scaling-laws": st.fixed_dictionaries({"N": st.floats(1e-3, 1e15), "D": st.floats(1e-3, 1e15)}),
}
PLAUSIBLE_EVALUATIONS = st.sampled_from(sorted(PLAUSIBLE_INPUTS)).flatmap(
    lambda term: PLAUSIBLE_INPUTS[term].map(lambda inputs: {"term": term, "inputs": inputs})
)


GOOD: dict[str, dict[str, st.SearchStrategy]] = {
    "define_term": {"term": TEXT, "detail": st.sampled_from(["brief", "full"]) | TEXT},
    "define_terms": {"terms": st.lists(TEXT, max_size=25)},
    "search_terms": {"query": TEXT, "limit": LIMITS, "category": CATEGORY},
    "list_terms": {
        "letter": st.sampled_from(["", "A", "z", "#", "ß", "É", "AB", " "]) | TEXT,
        "category": CATEGORY,
        "cursor": CURSORS,
        "limit": LIMITS,
    },
    "find_related": {
        "term": TEXT,
        "relation": st.sampled_from(("",) + related_kinds(load_glossary().vocabulary)) | TEXT,
        "limit": LIMITS,
    },
    "explain_formula": {
        "term": st.sampled_from(list(EVALUATORS) + ["DPO", "RoPE", "LoRA"]) | TEXT,
        "symbol": st.sampled_from(
            ["", "β", "\\beta", "beta", "π_θ", "\\pi_\\theta", "pi_theta", "Q, K, V", "x_m", "⊙", "σ"]
        )
        | TEXT,
    },
    "evaluate_formula": {
        "term": st.sampled_from(list(EVALUATORS) + ["DPO", "LoRA"]) | TEXT,
        "inputs": formula_inputs(),
    },
    "compare_terms": {"terms": st.lists(st.sampled_from(TERMS) | TEXT, max_size=7)},
    "find_terms_in_text": {
        "text": st.one_of(
            TEXT,
            st.lists(TEXT | st.sampled_from(TERMS), max_size=60).map(" ".join),
            st.sampled_from(["MoE " * 5000, "x" * 20_001]),
        )
    },
}


@st.composite
def arguments(draw: Any, tool: str) -> Any:
    """Mostly well-typed hostile values; sometimes the wrong type, a missing field or extra fields."""
    if draw(st.integers(0, 40)) == 0:
        return draw(st.one_of(st.none(), st.just({})))  # no arguments at all
    if tool == "evaluate_formula" and draw(st.booleans()):
        return draw(PLAUSIBLE_EVALUATIONS)  # in-range inputs, where overflow and precision bugs live
    args: dict[str, Any] = {}
    for name, good in GOOD[tool].items():
        mode = draw(st.sampled_from(["good"] * 6 + ["junk", "missing"]))
        if mode == "good":
            args[name] = draw(good)
        elif mode == "junk":
            args[name] = draw(JSON)
    if draw(st.integers(0, 4)) == 0:
        for key, value in draw(
            st.dictionaries(
                TEXT | st.sampled_from(["_meta", "__proto__", "arguments", "term"]), JSON, max_size=3
            )
        ).items():
            args.setdefault(key, value)
    return args


# -- tool properties ----------------------------------------------------------------------------
@pytest.mark.parametrize("tool", TOOLS)
def test_fuzz_tool(tool: str, harness: Harness, stress_record: Any) -> None:
    m = Measured(stress_record, harness)

    @FUZZ_SETTINGS
    @given(args=arguments(tool))
    @example(args={})
    @example(args={"term": "\ud800", "query": "\udfff", "text": "\ud800", "terms": ["\ud800", "DPO"]})
    @example(args={"term": "DPO\x00", "query": "a\x00", "text": "KV cache\x00", "terms": ["\x1b[31m", "x"]})
    @example(args={"limit": 10**100, "query": "cache", "term": "LoRA"})
    @example(args={"limit": -(10**100), "query": "cache", "term": "LoRA"})
    @example(args={"cursor": forged(-1, "|")})
    @example(args={"cursor": forged(10**30, "|")})
    @example(args={"cursor": forged(10_000_000, "|")})
    def prop(args: Any) -> None:
        m.examples += 1
        harness.call_tool(tool, args)

    with m:
        prop()


def test_fuzz_tool_names(harness: Harness, stress_record: Any) -> None:
    """Unknown, near-miss and hostile tool names: -32602 "Unknown tool", never a crash."""
    m = Measured(stress_record, harness)

    @FUZZ_SETTINGS
    @given(
        name=st.one_of(
            TEXT,
            st.sampled_from(
                [t.upper() for t in TOOLS]
                + [t + " " for t in TOOLS]
                + ["", "tools/call", "define_term\x00", "x" * 100_000]
            ),
        ),
        args=st.one_of(st.none(), st.dictionaries(TEXT, JSON, max_size=3)),
    )
    def prop(name: str, args: Any) -> None:
        m.examples += 1
        harness.call_tool(name, args)

    with m:
        prop()


BIG_REFUSAL_SECONDS = 10.0  # a 10 MB argument must be answered (refused) within this, even on a busy machine
CANARY_SECONDS = 2.0  # ... and a 1 MB one within this; slower means CPU work proportional to the input


def test_ten_megabyte_strings(harness: Harness, stress_record: Any) -> None:
    """A 10 MB string in every string argument of every tool is answered quickly, without echoing it.

    Each case is first tried with 1 MB: if that already takes longer than CANARY_SECONDS the argument is
    processed in time proportional to its size (the 10 MB call would take ~10x as long and hold a worker
    thread and the GIL meanwhile), so it is reported as a failure without sending 10 MB."""
    m = Measured(stress_record, harness)
    base = {
        "define_term": {"term": "DPO"},
        "define_terms": {"terms": ["DPO"]},
        "search_terms": {"query": "cache"},
        "list_terms": {},
        "find_related": {"term": "DPO"},
        "explain_formula": {"term": "DPO"},
        "evaluate_formula": {"term": "softmax", "inputs": {"logits": [1, 2]}},
        "compare_terms": {"terms": ["DPO", "RLHF"]},
        "find_terms_in_text": {"text": "DPO"},
    }

    def case(tool: str, name: str, value: str) -> dict[str, Any]:
        args = dict(base[tool])
        if name == "terms":
            args[name] = [value, "DPO"]
        elif name == "inputs":
            args[name] = {"logits": value}
        elif name == "<extra field name>":
            args[value[:1_000_000]] = 1
        else:
            args[name] = value
        return args

    slow: list[str] = []
    timings: dict[str, float] = {}
    with m:
        for tool in base:
            for name in [*GOOD[tool], "<extra field name>"]:
                label = f"{tool}.{name}"
                for size in (1024 * 1024, TEN_MB):
                    value = "DPO " * (size // 4)
                    t0 = time.perf_counter()
                    kind = harness.call_tool(tool, case(tool, name, value), timeout=BIG_TIMEOUT)
                    took = time.perf_counter() - t0
                    m.examples += 1
                    timings[f"{label}@{size // (1024 * 1024)}MB"] = round(took, 3)
                    assert kind in ("tool_error", "ok"), (label, kind)
                    if size < TEN_MB and took > CANARY_SECONDS:
                        slow.append(f"{label}: 1 MB took {took:.1f}s (10 MB projected ~{10 * took:.0f}s)")
                        break
                    if size == TEN_MB and took > BIG_REFUSAL_SECONDS:
                        slow.append(f"{label}: 10 MB took {took:.1f}s")
    stress_record.details["seconds"] = timings
    stress_record.add_note("1 MB then 10 MB in each string argument")
    if slow:
        stress_record.add_note("SLOW: " + "; ".join(slow))
    assert not slow, "arguments processed in time proportional to their size: " + "; ".join(slow)


def test_forged_cursors_and_pagination(harness: Harness, stress_record: Any) -> None:
    """Crafted cursors are refused with the cursor message; real ones page through every entry once."""
    m = Measured(stress_record, harness)
    crafted = [
        forged(-1, "|"),
        forged(-(10**30), "|"),
        forged(10**30, "|"),
        forged(10_000_001, "|"),
        forged(1.5, "|"),
        forged("5", "|"),
        forged(True, "|"),
        forged(None, "|"),
        forged([1], "|"),
        forged(5, "A|"),
        forged(5, None),
        b64(b"[1]"),
        b64(b"\xff"),
        "%%%",
        "A" * 201,
        "\ud800",
    ]
    with m:
        for cursor in crafted:
            args = {"cursor": cursor, "limit": 5}
            m.examples += 1
            result = harness.run(harness.client.call_tool, "list_terms", args)
            assert check_tool_result(harness.tools, "list_terms", result, args) == "tool_error", cursor
            assert "cursor" in result.content[0].text, result.content[0].text
        # In range but past the end: an empty last page, not an error.
        m.examples += 1
        result = harness.run(harness.client.call_tool, "list_terms", {"cursor": forged(10_000_000, "|")})
        assert not result.is_error and result.structured_content["terms"] == []
        # Real cursors: every entry exactly once.
        seen, cursor, pages = [], "", 0
        while pages < 200:
            m.examples += 1
            result = harness.run(harness.client.call_tool, "list_terms", {"cursor": cursor, "limit": 7})
            assert not result.is_error, result
            seen += [t["id"] for t in result.structured_content["terms"]]
            cursor, pages = result.structured_content["next_cursor"], pages + 1
            if not cursor:
                break
        assert len(seen) == len(set(seen)) == result.structured_content["total"]


# -- resources ----------------------------------------------------------------------------------
NASTY_URIS = [
    "glossary://terms/../../etc/passwd",
    "glossary://terms/..%2F..%2Fetc%2Fpasswd",
    "glossary://terms/%2e%2e",
    "glossary://terms/%64po",
    "glossary://terms/DPO",
    "glossary://terms/dpo/",
    "glossary://terms/dpo#frag",
    "glossary://terms/dpo?x=1",
    "glossary://terms/dpo.json.json",
    "glossary://terms/.json",
    "glossary://terms/",
    "glossary://terms",
    "glossary://",
    "glossary:terms/dpo",
    "GLOSSARY://terms/dpo",
    "glossary://about/",
    "glossary://ABOUT",
    "glossary://terms/dpo\x00",
    "glossary://terms/\u202edpo",
    "glossary://terms/" + "a" * 100_000,
    "file:///etc/passwd",
    "file://localhost/etc/shadow",
    "http://127.0.0.1:1/",
    "https://example.invalid/",
    "data:text/plain,hello",
    "javascript:alert(1)",
    "ftp://x",
    "urn:isbn:0",
    "/etc/passwd",
    "C:\\Windows",
    "",
    " ",
    "glossary://terms/{id}",
    "glossary://terms/{id}.json",
    "\\\\server\\share",
]


def check_read(h: Harness, uri: str, timeout: float = CALL_TIMEOUT) -> str:
    try:
        result = h.run(h.client.read_resource, uri, timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"read_resource hung on {_short(uri)}") from None
    except MCPError as exc:
        assert exc.code == -32602, f"read_resource({_short(uri)}) -> error {exc.code}: {str(exc)[:300]}"
        assert "not found" in str(exc).lower() and len(str(exc)) <= MAX_ERROR_CHARS, str(exc)[:500]
        return h._count("resource_not_found")
    except (UnicodeEncodeError, pydantic.ValidationError) as exc:
        if _origin(exc) != "client":
            raise
        return h._count("client_refused")
    assert result.contents, f"read_resource({_short(uri)}) returned no contents"
    for item in result.contents:
        text = getattr(item, "text", None)
        assert isinstance(text, str) and text, f"empty content for {_short(uri)}"
        assert item.mime_type in ("text/markdown", "application/json"), item.mime_type
        if item.mime_type == "application/json":
            json.loads(text)
    return h._count("resource_ok")


def test_fuzz_resource_uris(harness: Harness, stress_record: Any) -> None:
    m = Measured(stress_record, harness)
    ids = ["dpo", "kv-cache", "lora", "rope", "softmax"]

    @FUZZ_SETTINGS
    @given(
        uri=st.one_of(
            st.sampled_from(NASTY_URIS),
            TEXT.map(lambda t: "glossary://terms/" + t),
            st.tuples(st.sampled_from(ids), TEXT).map(lambda p: f"glossary://terms/{p[0]}{p[1]}"),
            st.sampled_from(ids).map(lambda i: f"glossary://terms/{i}.json"),
            st.tuples(st.sampled_from(["glossary", "file", "http", "data", "x-" * 3, ""]), TEXT).map(
                lambda p: f"{p[0]}://{p[1]}"
            ),
            TEXT,
        )
    )
    def prop(uri: str) -> None:
        m.examples += 1
        check_read(harness, uri)

    with m:
        prop()
        for uri in NASTY_URIS + [
            "glossary://about",
            "glossary://index",
            "glossary://categories",
            "glossary://terms/" + "x" * TEN_MB,
        ]:
            m.examples += 1
            check_read(harness, uri, timeout=BIG_TIMEOUT)
        assert harness.outcomes["resource_ok"] > 0


# -- prompts and completions ----------------------------------------------------------------------
MAX_COMPLETION_VALUE = 4096  # one completion value: at most five 500-char terms and separators
MAX_COMPLETION_CHARS = 1_000_000  # a whole completion response


def check_complete(
    h: Harness,
    ref: Any,
    argument: dict[str, Any],
    context: dict[str, str] | None,
    timeout: float = CALL_TIMEOUT,
) -> str:
    try:
        result = h.run(h.client.complete, ref, argument, context, timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"complete hung on {_short(argument)}") from None
    except MCPError as exc:
        assert exc.code == -32602 and str(exc).strip() and "Traceback" not in str(exc), (
            exc.code,
            str(exc)[:300],
        )
        return h._count("complete_error")
    except (UnicodeEncodeError, pydantic.ValidationError) as exc:
        if _origin(exc) != "client":
            raise
        return h._count("client_refused")
    values = result.completion.values
    assert isinstance(values, list) and len(values) <= 100, len(values)
    assert all(isinstance(v, str) for v in values)
    if result.completion.total is not None:
        assert result.completion.total >= len(values)
    longest = max((len(v) for v in values), default=0)
    argument_chars = len(str(argument.get("value")))
    assert longest <= MAX_COMPLETION_VALUE, (
        f"a completion value of {longest:,} chars for an argument of {argument_chars:,} chars"
    )
    assert sum(len(v) for v in values) <= MAX_COMPLETION_CHARS
    return h._count("complete_ok")


REFS = st.one_of(
    st.sampled_from([TEMPLATE_URI, JSON_TEMPLATE_URI, "glossary://terms/{x}", "file:///{id}", ""]).map(
        lambda u: ResourceTemplateReference(type="ref/resource", uri=u)
    ),
    TEXT.map(lambda u: ResourceTemplateReference(type="ref/resource", uri=u)),
    st.one_of(st.sampled_from(["explain_term", "compare_terms", "nope", ""]), TEXT).map(
        lambda n: PromptReference(type="ref/prompt", name=n)
    ),
)


def test_fuzz_completions(harness: Harness, stress_record: Any) -> None:
    m = Measured(stress_record, harness)

    @FUZZ_SETTINGS
    @given(
        ref=REFS,
        name=st.sampled_from(["id", "term", "terms", "audience"]) | TEXT,
        value=st.one_of(TEXT, st.lists(st.sampled_from(TERMS) | TEXT, max_size=6).map(", ".join)),
        context=st.none()
        | st.dictionaries(st.sampled_from(["term", "terms", "audience"]) | TEXT, TEXT, max_size=3),
    )
    def prop(ref: Any, name: str, value: str, context: Any) -> None:
        m.examples += 1
        check_complete(harness, ref, {"name": name, "value": value}, context)

    with m:
        prop()
        # Oversized values (no comma): refused or empty, quickly.
        for ref, name in (
            (ResourceTemplateReference(type="ref/resource", uri=TEMPLATE_URI), "id"),
            (PromptReference(type="ref/prompt", name="explain_term"), "term"),
            (PromptReference(type="ref/prompt", name="compare_terms"), "terms"),
        ):
            m.examples += 1
            check_complete(harness, ref, {"name": name, "value": "x" * TEN_MB}, None, timeout=BIG_TIMEOUT)


def test_completion_output_is_bounded(harness: Harness, stress_record: Any) -> None:
    """BUG probe: completing the `terms` argument of the compare_terms prompt echoes everything before the
    last comma into each of up to 100 values, so the response is ~100x the request. A 200 KB value must not
    produce a 20 MB completion (over stdio, where requests are not size-capped, 10 MB would become 1 GB)."""
    m = Measured(stress_record, harness)
    ref = PromptReference(type="ref/prompt", name="compare_terms")
    sizes = []
    with m:
        for head in ("DPO", "DPO, " * 200, "x" * 200_000):
            value = head + ","
            m.examples += 1
            result = harness.run(harness.client.complete, ref, {"name": "terms", "value": value})
            values = result.completion.values
            sizes.append((len(value), sum(len(v) for v in values), max((len(v) for v in values), default=0)))
    stress_record.details["request_vs_response_chars"] = sizes
    stress_record.add_note(
        "request chars -> completion chars: " + ", ".join(f"{a:,}->{b:,}" for a, b, _ in sizes)
    )
    for request_chars, response_chars, longest in sizes:
        assert longest <= MAX_COMPLETION_VALUE and response_chars <= MAX_COMPLETION_CHARS, (
            f"a {request_chars:,}-char completion argument produced {response_chars:,} chars of completions "
            f"(x{response_chars / request_chars:,.0f}; longest value {longest:,} chars)"
        )


def check_prompt(h: Harness, name: str, args: Any) -> str:
    try:
        result = h.run(h.client.get_prompt, name, args)
    except TimeoutError:
        raise AssertionError(f"get_prompt hung on {_short(args)}") from None
    except MCPError as exc:
        assert exc.code == -32602, (
            f"get_prompt({_short(name)}, {_short(args)}) -> error {exc.code}: {str(exc)[:300]}"
        )
        assert str(exc).strip() and "Traceback" not in str(exc) and len(str(exc)) <= MAX_ERROR_CHARS
        return h._count("prompt_error")
    except (UnicodeEncodeError, pydantic.ValidationError) as exc:
        if _origin(exc) != "client":
            raise
        return h._count("client_refused")
    assert result.messages, f"get_prompt({name}) returned no messages"
    return h._count("prompt_ok")


def test_fuzz_prompts(harness: Harness, stress_record: Any) -> None:
    m = Measured(stress_record, harness)

    @FUZZ_SETTINGS
    @given(
        name=st.sampled_from(["explain_term", "compare_terms", "explain_term", "compare_terms"]) | TEXT,
        args=st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {},
                optional={
                    "term": st.sampled_from(TERMS) | TEXT,
                    "audience": st.sampled_from(["beginner", "expert", "x"]) | TEXT,
                    "terms": st.lists(st.sampled_from(TERMS) | TEXT, max_size=7).map(", ".join),
                },
            ),
            st.dictionaries(TEXT, TEXT, max_size=3),
        ),
    )
    @example(name="explain_term", args=None)  # a required argument missing
    @example(name="explain_term", args={"term": "DPO", "terms": "DPO, RLHF"})  # an argument the prompt lacks
    def prop(name: str, args: Any) -> None:
        m.examples += 1
        check_prompt(harness, name, args)

    with m:
        prop()
