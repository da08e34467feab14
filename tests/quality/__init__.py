"""Lookup-quality evaluation: a hand-written query set, an evaluator, a report and a floor test."""
