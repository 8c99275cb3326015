"""The report's words in each language, from one catalogue: data/messages.json.

``text(key, lang, **fields)`` is a heading, label, KPI name, table header or chart title;
``value(field, raw, lang)`` shows a channel, status, sales stage, activity step, method or task
value by its name in `lang` (the value itself under ``en``, or when the catalogue has no name
for it). ``language()`` picks the default from the locale: ``LC_ALL``, then ``LANG``; ``zh*``
is Chinese, anything else English.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping

LANGUAGES = ("en", "zh")


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Any]:
    text = (resources.files("leadkit") / "data" / "messages.json").read_text(encoding="utf-8")
    return json.loads(text)


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


def language(environ: Mapping[str, str] | None = None) -> str:
    """The report's language from the locale: the first of ``LC_ALL`` and ``LANG`` that is
    set and not empty; ``zh`` when it starts with ``zh``, else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LANG"):
        setting = env.get(name, "")
        if setting:
            return "zh" if setting.lower().startswith("zh") else "en"
    return "en"


def text(key: str, lang: str = "en", **fields: Any) -> str:
    """The catalogue's text for `key` in `lang`, with ``{name}`` fields filled in. A key
    missing from the catalogue is leadkit's own error (KeyError naming it)."""
    entries = catalogue()["text"][check_language(lang)]
    if key not in entries:
        raise KeyError(f"messages.json: no text {key!r} for language {lang!r}")
    return entries[key].format(**fields) if fields else entries[key]


def has_text(key: str, lang: str = "en") -> bool:
    return key in catalogue()["text"][check_language(lang)]


def value(field: str, raw: Any, lang: str = "en") -> str:
    """A value of a categorical column as `lang` names it."""
    shown = str(raw)
    if lang == "en":
        return shown.replace("_", " ") if field in ("activity",) else shown
    return catalogue()["values"].get(lang, {}).get(field, {}).get(shown, shown)


def has_value(field: str, raw: Any, lang: str) -> bool:
    return str(raw) in catalogue()["values"].get(lang, {}).get(field, {})
