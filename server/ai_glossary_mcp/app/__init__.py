"""The service every transport shares: argument checks, answers and their shapes."""
