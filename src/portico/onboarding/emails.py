"""The activation mail of an onboarded customer."""

from __future__ import annotations

from portico.mail.sender import Mail


def activation(to: str, given_name: str, link: str, hours: int) -> Mail:
    greeting = f"Hello {given_name.strip()}," if given_name.strip() else "Hello,"
    return Mail(
        to=to,
        subject="Activate your Portico account",
        text=(
            f"{greeting}\n\nYour account was opened for you. Choose your password here:\n\n"
            f"{link}\n\nThe link works once and expires in {hours} hours. Then sign in to "
            "the consumer portal with this email address and your new password.\n"
        ),
    )
