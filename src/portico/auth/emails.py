"""The texts of the sign-in mails."""

from __future__ import annotations

from portico.mail.sender import Mail


def login_code(to: str, code: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject=f"Your Portico sign-in code: {code}",
        text=(
            f"Your sign-in verification code is {code}.\n\n"
            f"It expires in {minutes} minutes and can be used once.\n"
            "If you did not try to sign in, change your password.\n"
        ),
    )


def registration_code(to: str, code: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject=f"Your Portico registration code: {code}",
        text=(
            f"Your registration verification code is {code}.\n\n"
            f"It expires in {minutes} minutes and can be used once.\n"
        ),
    )


def already_registered(to: str) -> Mail:
    return Mail(
        to=to,
        subject="You already have a Portico account",
        text=(
            "Someone tried to register a new account with this email address, "
            "but an account already exists.\n\n"
            "If it was you, sign in instead, or reset your password if you forgot it.\n"
        ),
    )


def password_reset(to: str, link: str, minutes: int) -> Mail:
    return Mail(
        to=to,
        subject="Reset your Portico password",
        text=(
            f"Use this link to choose a new password:\n\n{link}\n\n"
            f"It expires in {minutes} minutes and can be used once. "
            "If you did not ask for it, ignore this mail.\n"
        ),
    )


def password_changed(to: str) -> Mail:
    return Mail(
        to=to,
        subject="Your Portico password was changed",
        text="Your password was changed and your other sessions were signed out.\n",
    )
