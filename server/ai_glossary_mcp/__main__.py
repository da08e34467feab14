"""`python -m ai_glossary_mcp` is the same as the `ai-glossary-mcp` command."""

from ai_glossary_mcp.cli import main

raise SystemExit(main())
