"""Formulas: evaluating an entry's formula on caller inputs (`evaluator`) and matching legend symbols."""
