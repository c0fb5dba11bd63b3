"""Email addresses: one type for every request field, one normal form for storing and lookups.

An address is normalised before anything compares it: NFKC (so the fullwidth U+FF4D is `m`), the
domain through IDNA (UTS #46 mapping, stored in its ASCII form), everything lower case.
Lookalikes that normalisation cannot fold are refused: a local part mixing scripts (Latin with
Cyrillic or Greek, say) is `400 VALIDATION.INVALID_PARAMETER`, following the "highly restrictive"
profile of Unicode TS #39 (one script, or Latin with the Han-based combinations of Chinese,
Japanese and Korean).

Syntax is checked (a dot-atom local part, a host name of two or more labels), deliverability
is not: special-use domains (`.test`, `.example`, `.localhost`, `.invalid`, ...) are accepted,
so the documents' own `consumer@slaunchx.test` works.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import idna
from pydantic import AfterValidator, WithJsonSchema

MAX_LENGTH = 320
MAX_LOCAL_LENGTH = 64  # octets, RFC 5321
MAX_DOMAIN_LENGTH = 253

_ASCII_ATEXT = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LABEL = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

# Scripts that may share one local part (UTS #39 "highly restrictive"); any other mix is refused.
_ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)


class InvalidEmail(ValueError):
    pass


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name (`CYRILLIC SMALL LETTER A`); None for
    everything that belongs to no script of its own (digits, signs, marks, `ー`)."""
    if not unicodedata.category(char).startswith("L"):
        return None
    first = unicodedata.name(char, "").split(" ", 1)[0]
    if not first or "-" in first or first == "MODIFIER":
        return None
    return "HAN" if first == "CJK" else first


def _one_script(local: str) -> bool:
    scripts = {script for script in map(_script, local) if script}
    return len(scripts) <= 1 or any(scripts <= mix for mix in _ALLOWED_MIXES)


def _local_part_ok(local: str) -> bool:
    if not local or local.startswith(".") or local.endswith(".") or ".." in local:
        return False
    if len(local.encode()) > MAX_LOCAL_LENGTH:
        return False
    for atom in local.split("."):
        for char in atom:
            if char.isascii():
                if not _ASCII_ATEXT.match(char):
                    return False
            elif unicodedata.category(char)[0] not in "LMN":
                return False
    return True


def _ascii_domain(domain: str) -> str:
    try:
        encoded = idna.encode(domain, uts46=True, std3_rules=True, transitional=False)
    except (idna.IDNAError, UnicodeError, ValueError) as exc:
        raise InvalidEmail("invalid domain") from exc
    ascii_domain = encoded.decode("ascii").lower()
    labels = ascii_domain.split(".")
    if (
        len(ascii_domain) > MAX_DOMAIN_LENGTH
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not _TOP_LABEL.match(labels[-1])
    ):
        raise InvalidEmail("invalid domain")
    return ascii_domain


def normalise_email(value: str) -> str:
    """The normal form of an address, or `InvalidEmail` (a `ValueError`)."""
    text = unicodedata.normalize("NFKC", value).strip()
    if len(text) > MAX_LENGTH:
        raise InvalidEmail("too long")
    local, at, domain = text.rpartition("@")
    local = local.lower()
    if not at or not domain or not _local_part_ok(local):
        raise InvalidEmail("invalid local part")
    if not _one_script(local):
        raise InvalidEmail("the part before the @ mixes scripts")
    normalised = f"{local}@{_ascii_domain(domain)}"
    if len(normalised) > MAX_LENGTH:
        raise InvalidEmail("too long")
    return normalised


# The request type of every email field.
EmailAddress = Annotated[
    str,
    AfterValidator(normalise_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": MAX_LENGTH}),
]
