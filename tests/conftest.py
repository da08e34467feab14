"""Shared fixtures: the bundled glossary loaded once, a service over it, and an
in-process MCP client (the SDK's `Client`, no mocks) for each test that wants one.

Subprocess and HTTP helpers live in `tests/helpers.py` so that test modules
import them explicitly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_glossary_mcp.app.service import GlossaryService
from ai_glossary_mcp.data.glossary import Glossary
from ai_glossary_mcp.data.loader import bundled_pack_dir, load_glossary
from ai_glossary_mcp.serving.mcp_server import create_server

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "tests" / "fixtures" / "seed.txt"  # a copy of shared/seed/000_f351b38cd28d9f29.txt


@pytest.fixture(scope="session")
def glossary() -> Glossary:
    return load_glossary([bundled_pack_dir()])


@pytest.fixture(scope="session")
def service(glossary: Glossary) -> GlossaryService:
    return GlossaryService(glossary)


@pytest.fixture
def server(service: GlossaryService):
    return create_server(service)


@pytest.fixture
async def client(server):
    from mcp import Client

    async with Client(server) as c:
        yield c


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"
