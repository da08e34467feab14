"""Entries and packs: the model, loading and validation, and the compiled SQLite store."""
