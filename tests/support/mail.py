"""The mail outbox of a test's app: the `.eml` files its mailer wrote."""

from __future__ import annotations

import email
import email.policy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portico.runtime import runtime_of


@dataclass
class Outbox:
    directory: Path
    app: Any
    seen: set[str] = field(default_factory=set)

    async def messages(self, to: str | None = None) -> list[email.message.EmailMessage]:
        await runtime_of(self.app).mailer.drain()
        found = []
        for path in sorted(self.directory.glob("*.eml")) if self.directory.exists() else []:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if to is None or message["To"] == to:
                found.append(message)  # type: ignore[arg-type]
        return found

    async def last(self, to: str) -> email.message.EmailMessage:
        messages = await self.messages(to)
        assert messages, f"no mail to {to}"
        return messages[-1]

    async def last_code(self, to: str) -> str:
        body = (await self.last(to)).get_content()
        match = re.search(r"code is (\d{6})", body)
        assert match, body
        return match.group(1)
