"""`python -m ai_glossary_mcp` is the same as the `ai-glossary-mcp` command."""

from .cli import main

raise SystemExit(main())
