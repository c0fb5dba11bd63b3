"""The command line, run from a test."""

from __future__ import annotations

import asyncio

from portico import cli


async def portico(*argv: str) -> int:
    """Run the command line (it runs its own event loop, so in a thread of its own)."""
    return await asyncio.to_thread(cli.main, list(argv))
