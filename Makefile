# Quick start: `make run` (HTTP server on 127.0.0.1:8000) and `make test` (the whole suite).
# Every target sets up .venv itself, so a fresh clone needs only Python >= 3.10 and pip.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TOOLS  := .tools

.PHONY: run stdio test lint eval bench stress conformance bundle schema validate clean help deploy-check fresh-install

help:
	@echo "make run          start the HTTP server on 127.0.0.1:8000 (prints how to connect)"
	@echo "make test         set up .venv and run the whole test suite"
	@echo "make lint         ruff (check + format check) and mypy --strict on the package"
	@echo "make eval         lookup-quality report (define accuracy per kind, search recall@1/3/5 + MRR, off-topic separation, passages P/R)"
	@echo "make bench        benchmark table (ratios against a minimal MCPServer floor)"
	@echo "make stress       fuzzing, protocol abuse, load and soak (summary table)"
	@echo "make conformance  official MCP conformance suite + MCP Inspector CLI + mcpb validate"
	@echo "make bundle       build the Claude Desktop bundle (.mcpb)"
	@echo "make deploy-check lint configs/deploy (hadolint, kubernetes-validate)"
	@echo "make fresh-install  install the wheel into a new venv and run it with uv tool run, as a user would"
	@echo "make schema       regenerate glossary_data/schema.json, configs/default.yaml, tool output schemas, word list"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/ai-glossary-mcp serve --transport http --host 127.0.0.1 --port 8000

stdio: $(STAMP)
	$(BIN)/ai-glossary-mcp

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not stress"

lint: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[lint]'
	$(BIN)/ruff check server tests benchmarks
	$(BIN)/ruff format --check server tests benchmarks
	$(BIN)/mypy

validate: $(STAMP)
	$(BIN)/ai-glossary-mcp validate glossary_data/ai-ml

eval: $(STAMP)
	$(BIN)/python -m tests.quality.report

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

stress: $(STAMP)
	@status=0; $(BIN)/python -m pytest -q -m stress || status=$$?; \
	$(BIN)/python tests/stress/summary.py || status=1; exit $$status

conformance: $(STAMP)
	bash tests/conformance/run.sh

bundle: $(STAMP)
	bash tests/conformance/bundle.sh

deploy-check: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[deploy]'
	$(BIN)/hadolint configs/deploy/Dockerfile
	$(BIN)/kubernetes-validate --strict configs/deploy/kubernetes.yaml

fresh-install: $(STAMP)
	bash tests/install/fresh.sh

schema: $(STAMP)
	$(BIN)/python -c "from ai_glossary_mcp.data.model import entry_json_schema; from ai_glossary_mcp.data.loader import load_glossary; \
	import json; cats = load_glossary(['glossary_data/ai-ml']).vocabulary.categories; \
	open('glossary_data/schema.json','w').write(json.dumps(entry_json_schema(cats), indent=2, ensure_ascii=False) + '\n')"
	$(BIN)/python -c "from ai_glossary_mcp.config import default_config_yaml; \
	open('configs/default.yaml','w').write(default_config_yaml())"
	$(BIN)/python -c "from ai_glossary_mcp.app.output_schemas import SCHEMA_FILE, derived_file_text; \
	from ai_glossary_mcp.app.results import TOOL_RESULTS; SCHEMA_FILE.write_text(derived_file_text(TOOL_RESULTS), encoding='utf-8')"
	$(BIN)/python -c "from ai_glossary_mcp.search.english_words import ENGLISH_WORDS_FILE, derived_file_bytes, pyspellchecker_words; \
	ENGLISH_WORDS_FILE.write_bytes(derived_file_bytes(pyspellchecker_words()))"

clean:
	rm -rf $(VENV) $(TOOLS) build dist .pytest_cache .hypothesis *.egg-info
