"""Text civic writes itself into the database (a status-history line, the city's note in a thread, a reply
made from a response template) kept as a code with parameters and rendered in each reader's language.

A domain registers a renderer for each code it writes (`register`, at import time); the row keeps the code, its
parameters and an English rendering (`english`, for search, feeds without a reader, and a code whose renderer
has gone). `render` turns a code back into words in the current locale. Parameters are plain JSON: dates go in
as ISO strings and are formatted by the renderer, so the reader's language decides their form too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import force_locale

Renderer = Callable[[Mapping[str, Any]], str]

_RENDERERS: dict[str, Renderer] = {}


def register(code: str, renderer: Renderer) -> None:
    """Say how a code becomes words. Registering the same code twice keeps the last (module reloads in tests)."""
    _RENDERERS[code] = renderer


def is_known(code: str | None) -> bool:
    return code is not None and code in _RENDERERS


def render(code: str | None, params: Mapping[str, Any] | None, fallback: str = "") -> str:
    """The code's words in the current locale; `fallback` (the stored English) when the code is unknown."""
    renderer = _RENDERERS.get(code or "")
    if renderer is None:
        return fallback
    try:
        return renderer(params or {})
    except (KeyError, TypeError, ValueError):  # parameters from an older version of the code: keep what was stored
        return fallback


def english(code: str, params: Mapping[str, Any]) -> str:
    """The English rendering stored beside the code."""
    with force_locale("en"):
        return render(code, params)
