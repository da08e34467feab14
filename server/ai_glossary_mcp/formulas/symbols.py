"""Compare the symbols a formula's legend defines with the ones a caller asks about.

Backs `explain_formula`'s `symbol` argument: a caller may write a symbol as
Unicode ('β', 'π_θ'), as LaTeX ('\\beta', '\\pi_\\theta') or spelled out ('beta',
'pi_theta'), and a legend line may name several symbols at once ('Q, K, V').
Rather than parse LaTeX, each spelling is reduced to one comparable form: Greek
letter names become letters, layout commands and braces are dropped, accents
and case are folded. A small table-driven rewrite is enough for legend symbols
and cannot fail on odd input.
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ε",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "vartheta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "odot": "⊙",
    "infty": "∞",
    "inf": "∞",
    "sum": "σ",
    "cdot": "·",
}
_DROP_COMMANDS = {
    "hat",
    "text",
    "mathrm",
    "mathbb",
    "mathcal",
    "operatorname",
    "left",
    "right",
    "tilde",
    "bar",
}
_SYMBOL_TOKEN = re.compile(r"\\?[A-Za-z]+|[^\sA-Za-z]")


def symbol_form(symbol: str) -> str:
    """One comparable form for 'β', '\\beta' and 'beta'; 'π_θ', '\\pi_\\theta' and 'pi_theta'."""
    out = []
    for token in _SYMBOL_TOKEN.findall(unicodedata.normalize("NFKC", symbol)):
        word = token.lstrip("\\")
        if word.lower() in _GREEK and (token.startswith("\\") or len(word) > 1):
            out.append(_GREEK[word.lower()])
        elif (token.startswith("\\") and word in _DROP_COMMANDS) or token in "{}_^\\ ":
            continue
        else:
            out.append(token)
    text = unicodedata.normalize("NFD", "".join(out).replace("ϵ", "ε"))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()


def split_symbols(symbol: str) -> list[str]:
    """The symbols a legend line names together: 'Q, K, V', 'x; y' or 'm and n' give one each."""
    return [part.strip() for part in re.split(r",|;| and ", symbol) if part.strip()]
