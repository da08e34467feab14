"""Formulas: evaluating an entry's formula on caller inputs (entry point: `evaluator`) and matching legend symbols."""
