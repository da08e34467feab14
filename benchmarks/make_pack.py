"""Write a synthetic glossary pack of N entries for benchmarking.

    python benchmarks/make_pack.py N OUT_DIR [--seed S] [--verify]

The pack has the same layout and format as glossary_data/ai-ml: a pack.yaml
and one <id>.yaml per entry. Entries look like the real ones: multi-word
names built from ML vocabulary ("Sparse Gated Retrieval Adapter"), ~40% with
an acronym, 1-3 aliases, a real category, a 30-80 word definition that often
names other entries, a couple of tags and 2-4 typed relations to other ids.

Uniqueness: the loader rejects any id/term/acronym/alias whose normalised key
(case, hyphens, plurals, British spelling, articles) is already owned by
another entry, so every name is checked against a global set of keys computed
with the package's own `name_key` before it is accepted. The output is a pure
function of (N, seed). `--verify` runs the real loader on the result.

Files are written by hand (YAML double-quoted scalars via json.dumps, a
subset of YAML) because PyYAML's emitter is far too slow for 100k files.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "server"))

import yaml  # noqa: E402

from ai_glossary_mcp.data.bundled import PACK_FILE, bundled_pack_dir  # noqa: E402

# The synthetic pack uses (and declares) the bundled pack's categories.
CATEGORIES: dict[str, str] = yaml.safe_load((bundled_pack_dir() / PACK_FILE).read_text(encoding="utf-8"))[
    "categories"
]
from ai_glossary_mcp.data.vocabulary import AUTHORED_RELATIONS  # noqa: E402
from ai_glossary_mcp.search.normalize import name_key  # noqa: E402

MODIFIERS = [
    "Sparse",
    "Dense",
    "Gated",
    "Adaptive",
    "Hierarchical",
    "Recurrent",
    "Causal",
    "Contrastive",
    "Latent",
    "Residual",
    "Stochastic",
    "Deterministic",
    "Low-Rank",
    "Multi-Scale",
    "Cross-Modal",
    "Self-Supervised",
    "Bidirectional",
    "Linear",
    "Quantized",
    "Distilled",
    "Federated",
    "Differentiable",
    "Probabilistic",
    "Variational",
    "Robust",
    "Efficient",
    "Parallel",
    "Streaming",
    "Dynamic",
    "Static",
    "Conditional",
    "Hybrid",
    "Modular",
    "Local",
    "Global",
    "Rotary",
    "Relative",
    "Grouped",
    "Shared",
    "Factorized",
    "Compressed",
    "Lightweight",
    "Progressive",
    "Masked",
    "Autoregressive",
    "Non-Autoregressive",
    "Speculative",
    "Contextual",
    "Temporal",
    "Spatial",
    "Structured",
    "Implicit",
    "Explicit",
    "Semantic",
    "Lexical",
    "Retrieval-Augmented",
    "Instruction-Tuned",
    "Preference-Based",
    "Reward-Weighted",
    "Offline",
    "Online",
    "Asynchronous",
    "Batched",
    "Chunked",
    "Paged",
    "Fused",
    "Tiled",
    "Mixed-Precision",
    "Block-Sparse",
    "Kernelized",
    "Normalized",
    "Regularized",
    "Calibrated",
    "Ensemble",
    "Multi-Task",
    "Zero-Shot",
    "Few-Shot",
    "Token-Level",
    "Sequence-Level",
    "Layer-Wise",
    "Head-Wise",
    "Channel-Wise",
    "Elastic",
    "Recursive",
    "Orthogonal",
    "Equivariant",
    "Memory-Efficient",
    "Energy-Based",
    "Score-Based",
    "Flow-Based",
    "Iterative",
    "Amortized",
    "Decoupled",
    "Sliding",
    "Cascaded",
    "Nested",
    "Routed",
    "Weighted",
    "Unified",
    "Interleaved",
    "Staged",
]

DOMAINS = [
    "Attention",
    "Retrieval",
    "Routing",
    "Decoding",
    "Embedding",
    "Tokenization",
    "Quantization",
    "Distillation",
    "Alignment",
    "Reward",
    "Policy",
    "Value",
    "Gradient",
    "Activation",
    "Memory",
    "Context",
    "Prompt",
    "Expert",
    "Kernel",
    "Cache",
    "Graph",
    "Vision",
    "Language",
    "Speech",
    "Reasoning",
    "Planning",
    "Search",
    "Sampling",
    "Normalization",
    "Pruning",
    "Calibration",
    "Evaluation",
    "Preference",
    "Feedback",
    "Token",
    "Sequence",
    "Feature",
    "Diffusion",
    "Convolution",
    "Recurrence",
    "Optimizer",
    "Loss",
    "Inference",
    "Serving",
    "Batching",
    "Sharding",
    "Checkpoint",
    "Agent",
    "Tool",
    "Safety",
    "Interpretability",
    "Probe",
    "Circuit",
    "Steering",
    "Watermark",
    "Benchmark",
    "Dataset",
    "Augmentation",
    "Filtering",
    "Deduplication",
    "Contamination",
    "Query",
    "Key",
    "Logit",
    "Weight",
    "Residual-Stream",
    "Positional",
    "Curriculum",
    "Rollout",
    "Trajectory",
    "Verifier",
]

HEADS = [
    "Adapter",
    "Network",
    "Layer",
    "Encoder",
    "Decoder",
    "Head",
    "Module",
    "Block",
    "Mechanism",
    "Method",
    "Framework",
    "Objective",
    "Estimator",
    "Scheduler",
    "Pipeline",
    "Protocol",
    "Index",
    "Metric",
    "Score",
    "Model",
    "Router",
    "Gate",
    "Projection",
    "Regularizer",
    "Sampler",
    "Strategy",
    "Algorithm",
    "Buffer",
    "Controller",
    "Critic",
    "Classifier",
    "Tokenizer",
    "Transform",
    "Operator",
    "Unit",
    "Table",
    "Bank",
    "Filter",
    "Cascade",
]

HEAD_SYNONYMS = {
    "Adapter": "Adapter Module",
    "Network": "Net",
    "Layer": "Layer Stack",
    "Encoder": "Encoder Stack",
    "Decoder": "Decoder Stack",
    "Head": "Output Head",
    "Module": "Component",
    "Block": "Unit Block",
    "Mechanism": "Scheme",
    "Method": "Technique",
    "Framework": "Toolkit",
    "Objective": "Training Objective",
    "Estimator": "Estimation",
    "Scheduler": "Schedule",
    "Pipeline": "Workflow",
    "Protocol": "Procedure",
    "Index": "Lookup Index",
    "Metric": "Measure",
    "Score": "Scoring",
    "Model": "Architecture",
    "Router": "Routing Function",
    "Gate": "Gating",
    "Projection": "Projector",
    "Regularizer": "Penalty",
    "Sampler": "Sampling Scheme",
    "Strategy": "Recipe",
    "Algorithm": "Procedure",
    "Buffer": "Store",
    "Controller": "Control Loop",
    "Critic": "Value Critic",
    "Classifier": "Detector",
    "Tokenizer": "Segmenter",
    "Transform": "Transformation",
    "Operator": "Op",
    "Unit": "Cell",
    "Table": "Lookup Table",
    "Bank": "Memory Bank",
    "Filter": "Filtering Stage",
    "Cascade": "Cascade Stage",
}

DOMAIN_CATEGORY = {
    "Attention": "attention",
    "Key": "attention",
    "Query": "attention",
    "Positional": "attention",
    "Retrieval": "retrieval",
    "Search": "retrieval",
    "Embedding": "retrieval",
    "Index": "retrieval",
    "Routing": "architecture",
    "Expert": "architecture",
    "Convolution": "architecture",
    "Recurrence": "architecture",
    "Residual-Stream": "architecture",
    "Feature": "architecture",
    "Decoding": "inference",
    "Cache": "inference",
    "Serving": "inference",
    "Batching": "inference",
    "Sampling": "inference",
    "Inference": "inference",
    "Kernel": "inference",
    "Sharding": "training",
    "Tokenization": "data",
    "Token": "data",
    "Dataset": "data",
    "Augmentation": "data",
    "Filtering": "data",
    "Deduplication": "data",
    "Contamination": "evaluation",
    "Benchmark": "evaluation",
    "Evaluation": "evaluation",
    "Quantization": "quantization",
    "Weight": "quantization",
    "Pruning": "quantization",
    "Distillation": "training",
    "Gradient": "training",
    "Optimizer": "training",
    "Loss": "training",
    "Checkpoint": "training",
    "Curriculum": "training",
    "Normalization": "training",
    "Activation": "training",
    "Alignment": "alignment",
    "Reward": "alignment",
    "Policy": "alignment",
    "Value": "alignment",
    "Preference": "alignment",
    "Feedback": "alignment",
    "Rollout": "alignment",
    "Trajectory": "alignment",
    "Reasoning": "reasoning",
    "Planning": "reasoning",
    "Verifier": "reasoning",
    "Agent": "agents",
    "Tool": "agents",
    "Memory": "agents",
    "Context": "context",
    "Prompt": "context",
    "Sequence": "context",
    "Interpretability": "interpretability",
    "Probe": "interpretability",
    "Circuit": "interpretability",
    "Steering": "interpretability",
    "Logit": "interpretability",
    "Safety": "safety",
    "Watermark": "safety",
    "Vision": "architecture",
    "Language": "architecture",
    "Speech": "architecture",
    "Diffusion": "architecture",
    "Calibration": "evaluation",
}

TAGS = [
    "memory",
    "decoding",
    "long-context",
    "gpu",
    "kernels",
    "int4",
    "weight-only",
    "throughput",
    "latency",
    "sparsity",
    "routing",
    "pretraining",
    "post-training",
    "rl",
    "preference",
    "ranking",
    "embeddings",
    "multimodal",
    "efficiency",
    "robustness",
    "scaling",
    "evaluation",
    "data-quality",
    "interpretability",
    "privacy",
    "on-device",
    "distributed",
]

# Definition building blocks (lower-case fragments).
VERBS = [
    "reweights",
    "compresses",
    "routes",
    "caches",
    "aligns",
    "filters",
    "ranks",
    "factorizes",
    "projects",
    "normalizes",
    "prunes",
    "samples",
    "schedules",
    "batches",
    "shards",
    "calibrates",
    "distills",
    "masks",
    "aggregates",
    "decomposes",
    "interpolates",
    "regularizes",
    "quantizes",
    "retrieves",
    "verifies",
]
OBJECTS = [
    "attention scores",
    "key and value tensors",
    "hidden states",
    "token embeddings",
    "expert outputs",
    "gradient updates",
    "reward signals",
    "retrieved passages",
    "candidate continuations",
    "model weights",
    "activation statistics",
    "preference pairs",
    "draft tokens",
    "positional encodings",
    "logits",
    "query vectors",
    "training examples",
    "policy rollouts",
    "feature directions",
    "prompt segments",
]
MECHANISMS = [
    "a learned gating function",
    "a low-rank projection",
    "a small auxiliary network",
    "a running estimate of activation scale",
    "a sliding window over recent tokens",
    "a hashing-based bucket assignment",
    "a top-k selection step",
    "a contrastive objective",
    "a temperature-scaled softmax",
    "a mixture of shallow experts",
    "a block-wise lookup table",
    "an importance score per channel",
    "a verifier that checks each step",
    "a reward model",
    "a two-stage cascade",
    "an exponential moving average",
    "per-group scaling factors",
]
PROBLEMS = [
    "memory traffic",
    "training instability",
    "reward hacking",
    "position bias in long prompts",
    "redundant computation",
    "load imbalance across experts",
    "quantization error",
    "hallucinated answers",
    "slow autoregressive decoding",
    "catastrophic forgetting",
    "benchmark contamination",
    "poor calibration",
    "latency spikes under load",
    "distribution shift",
    "overfitting on small datasets",
]
COSTS = [
    "extra memory for bookkeeping",
    "a modest increase in training time",
    "additional hyperparameters",
    "a small loss in accuracy",
    "more complex serving code",
    "a calibration pass before deployment",
    "higher variance early in training",
]
SETTINGS = [
    "large language models",
    "vision-language models",
    "retrieval-augmented generation systems",
    "multi-agent pipelines",
    "long-context inference",
    "reinforcement learning from feedback",
    "on-device deployment",
    "mixture-of-experts transformers",
    "speech recognition",
    "code generation",
]
EVALS = [
    "long-context retrieval benchmarks",
    "held-out reasoning suites",
    "perplexity on web text",
    "human preference ratings",
    "throughput and latency measurements",
    "exact-match accuracy",
    "calibration error",
    "pass@k on programming tasks",
]

NOTE_TEMPLATES = [
    "shares the same {w} idea",
    "often combined in practice",
    "addresses a related {w} problem",
    "an earlier approach to the same goal",
    "evaluated on the same benchmarks",
    None,
    None,
]


def words_of(name: str) -> int:
    return len(name.split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _initials(words: list[str]) -> str:
    parts = [p for w in words for p in w.split("-") if p]
    return "".join(p[0].upper() for p in parts)


class _Names:
    """The global set of normalised keys; `take` accepts a name only if its key is free."""

    def __init__(self) -> None:
        self.owned: set[str] = set()

    def free(self, name: str) -> bool:
        key = name_key(name)
        return bool(key) and key not in self.owned

    def take(self, name: str) -> bool:
        key = name_key(name)
        if not key or key in self.owned:
            return False
        self.owned.add(key)
        return True


def _pick_name(rng: random.Random) -> list[str]:
    shape = rng.random()
    head = rng.choice(HEADS)
    if shape < 0.15:
        words = [rng.choice(MODIFIERS), head]
    elif shape < 0.30:
        words = [rng.choice(DOMAINS), head]
    elif shape < 0.65:
        words = [rng.choice(MODIFIERS), rng.choice(DOMAINS), head]
    else:
        a, b = rng.sample(MODIFIERS, 2)
        words = [a, b, rng.choice(DOMAINS), head]
    return words


def generate(n: int, seed: int = 0) -> list[dict]:
    """The entries of a synthetic pack, as plain dicts in file order (deterministic for (n, seed))."""
    rng = random.Random(seed)
    names = _Names()
    entries: list[dict] = []
    seen_terms: set[str] = set()
    attempts = 0
    while len(entries) < n:
        attempts += 1
        if attempts > 50 * n + 1000:
            raise RuntimeError(f"could not find {n} unique names (vocabulary too small)")
        words = _pick_name(rng)
        if len({w.lower() for w in words}) != len(words):
            continue
        term = " ".join(words)
        if term in seen_terms:
            continue
        entry_id = _slug(term)
        if not names.free(term) or not names.free(entry_id):
            continue
        if name_key(entry_id) != name_key(term):
            continue
        seen_terms.add(term)
        names.take(term)
        names.take(entry_id)
        acronym = None
        if rng.random() < 0.4:
            base = _initials(words)
            for candidate in (
                [base] + [f"{base}{k}" for k in range(2, 10)] + [f"{base}-{rng.randint(10, 99)}"]
            ):
                if len(base) >= 2 and names.take(candidate):
                    acronym = candidate
                    break
        aliases: list[str] = []
        want = rng.choice((1, 1, 2, 2, 3))
        head = words[-1]
        candidates = [
            " ".join(words[:-1] + [HEAD_SYNONYMS[head]]),
            "".join(w.replace("-", "") for w in words[:-1]) + " " + head,
            " ".join(words[1:]) + " with " + words[0].lower() + " design" if len(words) > 2 else None,
            f"{acronym} {HEAD_SYNONYMS[head].lower()}" if acronym else None,
            " ".join(w.lower() for w in words[:-1]) + " " + head.lower() + " approach",
            term + " v2",
        ]
        rng.shuffle(candidates)
        for candidate in candidates:
            if candidate and len(aliases) < want and names.take(candidate):
                aliases.append(candidate)
        if not aliases:  # guaranteed fallback: the fully concatenated name is unique when the term is
            for k in range(1, 100):
                candidate = "".join(w.replace("-", "") for w in words) + ("" if k == 1 else str(k))
                if names.take(candidate):
                    aliases.append(candidate)
                    break
        domain = next((w for w in words if w in DOMAIN_CATEGORY), None)
        category = DOMAIN_CATEGORY[domain] if domain and rng.random() < 0.8 else rng.choice(list(CATEGORIES))
        tags = sorted(set(rng.sample(TAGS, rng.choice((0, 1, 2, 2)))))
        entries.append(
            {
                "id": entry_id,
                "term": term,
                "acronym": acronym,
                "aliases": aliases,
                "category": category,
                "tags": tags,
                "_words": words,
            }
        )
    # Second pass: definitions and relations may name any other entry.
    by_category: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        by_category.setdefault(e["category"], []).append(i)
    for i, e in enumerate(entries):
        e["definition"] = _definition(rng, e, entries, i)
        e["related"] = _related(rng, e, entries, i, by_category)
        del e["_words"]
    return entries


def _other(rng: random.Random, entries: list[dict], i: int, pool: list[int] | None = None) -> int:
    if len(entries) < 2:
        raise ValueError("need at least 2 entries for relations")
    while True:
        j = rng.choice(pool) if pool and len(pool) > 1 and rng.random() < 0.6 else rng.randrange(len(entries))
        if j != i:
            return j


def _definition(rng: random.Random, e: dict, entries: list[dict], i: int) -> str:
    head = e["_words"][-1].lower()
    lead = " ".join(w.lower() for w in e["_words"][:-1])
    setting = rng.choice(SETTINGS)
    other = entries[_other(rng, entries, i)]
    other2 = entries[_other(rng, entries, i)]
    article = "An" if head[0] in "aeiou" else "A"
    first = (
        f"{article} {head} for {setting} that {rng.choice(VERBS)} {rng.choice(OBJECTS)} using "
        f"{rng.choice(MECHANISMS)}, so that {lead} processing stays cheap."
    )
    pool = [
        f"It {rng.choice(VERBS)} {rng.choice(OBJECTS)} while keeping {rng.choice(PROBLEMS)} under control.",
        f"Compared with {other['term']}, it trades {rng.choice(COSTS)} for less {rng.choice(PROBLEMS)}.",
        (
            f"It is commonly paired with {other2['acronym'] or other2['term']} "
            f"and evaluated on {rng.choice(EVALS)}."
        ),
        f"In practice it reduces {rng.choice(PROBLEMS)} at the cost of {rng.choice(COSTS)}.",
        f"The technique was introduced to address {rng.choice(PROBLEMS)} in {rng.choice(SETTINGS)}.",
        f"Its main hyperparameter controls how aggressively it {rng.choice(VERBS)} {rng.choice(OBJECTS)}.",
    ]
    rng.shuffle(pool)
    sentences = [first]
    count = len(first.split())
    target = rng.randint(30, 80)
    for s in pool:
        n = len(s.split())
        if count >= 30 and count + n > target:
            break
        if count + n > 80:
            continue
        sentences.append(s)
        count += n
    return " ".join(sentences)


def _related(
    rng: random.Random, e: dict, entries: list[dict], i: int, by_category: dict[str, list[int]]
) -> list[dict]:
    out: list[dict] = []
    taken = {i}
    want = rng.randint(2, 4)
    pool = by_category[e["category"]]
    while len(out) < want:
        j = _other(rng, entries, i, pool)
        if j in taken:
            continue
        taken.add(j)
        note_t = rng.choice(NOTE_TEMPLATES)
        note = note_t.format(w=rng.choice(OBJECTS).split()[-1]) if note_t else None
        out.append({"id": entries[j]["id"], "relation": rng.choice(AUTHORED_RELATIONS), "note": note})
    return out


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def entry_yaml(e: dict) -> str:
    lines = ["# yaml-language-server: $schema=../schema.json", f"id: {e['id']}", f"term: {_q(e['term'])}"]
    if e["acronym"]:
        lines.append(f"acronym: {_q(e['acronym'])}")
    lines.append("aliases:")
    lines += [f"- {_q(a)}" for a in e["aliases"]]
    lines.append(f"category: {e['category']}")
    if e["tags"]:
        lines.append("tags:")
        lines += [f"- {t}" for t in e["tags"]]
    lines.append(f"definition: {_q(e['definition'])}")
    lines.append("related:")
    for r in e["related"]:
        lines.append(f"- id: {r['id']}")
        lines.append(f"  relation: {r['relation']}")
        if r["note"]:
            lines.append(f"  note: {_q(r['note'])}")
    return "\n".join(lines) + "\n"


def pack_yaml(n: int, seed: int) -> str:
    description = (
        f"{n} generated entries with ML-flavoured names, aliases, acronyms and relations, for benchmarks."
    )
    return (
        "\n".join(
            [
                "# A synthetic pack generated by benchmarks/make_pack.py; not real glossary content.",
                "name: synthetic",
                f"title: {_q(f'Synthetic benchmark glossary ({n} entries)')}",
                f"version: {_q(f'0.0.{n}+seed{seed}')}",
                'source: "benchmarks/make_pack.py (generated)"',
                'license: "Generated test data; no license restrictions."',
                f"description: {_q(description)}",
                "categories:",
                *(f"  {cid}: {_q(label)}" for cid, label in CATEGORIES.items()),
            ]
        )
        + "\n"
    )


def write_pack(n: int, out_dir: Path, seed: int = 0) -> list[dict]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [p for p in out_dir.iterdir() if p.suffix in (".yaml", ".yml")]
    if existing:
        pack = out_dir / "pack.yaml"
        if not pack.is_file() or "name: synthetic" not in pack.read_text(encoding="utf-8"):
            raise SystemExit(
                f"{out_dir} holds YAML files that are not a synthetic pack; refusing to overwrite"
            )
        for p in existing:
            p.unlink()
    entries = generate(n, seed)
    (out_dir / "pack.yaml").write_text(pack_yaml(n, seed), encoding="utf-8")
    for e in entries:
        with open(out_dir / f"{e['id']}.yaml", "w", encoding="utf-8") as fh:
            fh.write(entry_yaml(e))
    return entries


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("n", type=int, help="number of entries (>= 2)")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verify", action="store_true", help="load the result with the real loader afterwards")
    args = p.parse_args(argv)
    if args.n < 2:
        p.error("n must be at least 2")
    t0 = time.perf_counter()
    entries = write_pack(args.n, args.out_dir, args.seed)
    t1 = time.perf_counter()
    acr = sum(1 for e in entries if e["acronym"])
    print(
        f"wrote {len(entries)} entries to {args.out_dir} in {t1 - t0:.1f}s "
        f"({acr / len(entries):.0%} with acronyms, "
        f"{sum(len(e['aliases']) for e in entries) / len(entries):.2f} aliases/entry)",
        file=sys.stderr,
    )
    if args.verify:
        from ai_glossary_mcp.data.loader import load_glossary

        g = load_glossary([args.out_dir])
        print(
            f"verified with the loader: {len(g)} entries in {time.perf_counter() - t1:.1f}s", file=sys.stderr
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
