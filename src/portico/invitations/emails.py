"""The text of the invitation mail."""

from __future__ import annotations

from datetime import UTC, datetime

from portico.mail.sender import Mail


def _one_line(value: str, limit: int = 100) -> str:
    """User-chosen text on one printable line (it goes into a header and a sentence)."""
    cleaned = " ".join("".join(c if c.isprintable() else " " for c in value).split())
    return cleaned[:limit]


def invitation(
    to: str,
    *,
    workspace_name: str,
    inviter: str,
    role_name: str,
    portal_label: str,
    expires_at: datetime,
) -> Mail:
    workspace = _one_line(workspace_name)
    expires = expires_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return Mail(
        to=to,
        subject=f"You are invited to join {workspace} on Portico",
        text=(
            f'{_one_line(inviter, 200)} invited you to join the workspace "{workspace}" '
            f"with the role {_one_line(role_name)}.\n\n"
            f"To accept or decline, sign in to the Portico {portal_label} with this email "
            "address (register with it first if you have no account) and open your "
            "invitations in your profile.\n\n"
            f"The invitation expires on {expires}. "
            "If you do not know the sender, ignore this mail.\n"
        ),
    )
