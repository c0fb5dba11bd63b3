"""The texts of the mails a partner gets when the issuer decides on its account."""

from __future__ import annotations

from portico.mail.sender import Mail


def approved(to: str) -> Mail:
    return Mail(
        to=to,
        subject="Your Portico partner account is approved",
        text=(
            "The issuer approved your partner account.\n\n"
            "Your workspaces can now move money (transfers, exchanges, recharges and "
            "withdrawals) and create API keys.\n"
        ),
    )


def rejected(to: str, reason: str | None) -> Mail:
    because = f"\nThe reason given: {' '.join(reason.split())}\n" if reason else ""
    return Mail(
        to=to,
        subject="Your Portico partner account was not approved",
        text=(
            "The issuer did not approve your partner account, and it can no longer be "
            f"signed in to.\n{because}\n"
            "If you think this is a mistake, contact the issuer.\n"
        ),
    )
