"""Name matching and ranking: normalisation, candidates, typo guards, BM25F and spotting."""
