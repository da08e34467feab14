"""Formulas: parsing and safe evaluation of the pack's LaTeX."""
