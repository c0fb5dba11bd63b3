"""The pages' words: one JSON file per language under `text/` (`en.json`); a translation is
another file with the same keys."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

TEXT_DIR = Path(__file__).parent / "text"
DEFAULT_LANGUAGE = "en"


@cache
def catalogue(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    path = TEXT_DIR / f"{language}.json"
    values: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return values


class Text:
    """`t("key")`, `t("key", name=...)`: a missing key is an error, never a silent blank."""

    def __init__(self, language: str = DEFAULT_LANGUAGE) -> None:
        self.language = language
        self._values = catalogue(language)

    def __call__(self, key: str, **values: object) -> str:
        text = self._values[key]
        return text.format(**values) if values else text
