"""User text: cleaning what people type (`clean_text`, the one rule for titles, descriptions, reasons, event
fields, token and key names) and rendering it to safe HTML (`render_user_text`: paragraphs, line breaks,
links and a little emphasis, nothing else).

Markdown-it renders with raw HTML disabled and bare URLs linked; nh3 (the Rust `ammonia` sanitiser)
then allows only a short list of tags and forces rel="nofollow ugc noopener" on links. Two layers, so a
gap in one is not a hole.
"""

from __future__ import annotations

import functools
from typing import overload

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from civic.errors import ValidationError

_ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "ul", "ol", "li", "blockquote", "code"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_ALLOWED_SCHEMES = {"http", "https", "mailto"}

_markdown = (
    MarkdownIt("commonmark", {"html": False, "linkify": True, "breaks": True, "typographer": False})
    .enable("linkify")
    .disable(["image", "heading", "lheading", "table", "fence", "code", "hr"], ignoreInvalid=True)
)


@overload
def clean_text(
    value: str | None, *, field: str, max_len: int, required: str, min_len: int = 1, one_line: bool = False
) -> str: ...
@overload
def clean_text(
    value: str | None, *, field: str, max_len: int, required: None = None, min_len: int = 1, one_line: bool = False
) -> str | None: ...
def clean_text(
    value: str | None,
    *,
    field: str,
    max_len: int,
    required: str | None = None,
    min_len: int = 1,
    one_line: bool = False,
) -> str | None:
    """What a person typed, trimmed (`one_line`: every run of white space made one space). Empty gives None,
    unless `required` is the message to refuse it with (also for text shorter than `min_len`); longer than
    `max_len` is refused. Refusals are ValidationErrors naming `field`."""
    text = " ".join((value or "").split()) if one_line else (value or "").strip()
    if required is not None and len(text) < min_len:
        raise ValidationError(required, field=field)
    if len(text) > max_len:
        raise ValidationError(_("Use at most %(n)d characters.", n=max_len), field=field)
    return text or None


def render_user_text(text: str | None) -> Markup:
    if not text:
        return Markup("")
    return Markup(_rendered(text))  # noqa: S704 - sanitised in _rendered


@functools.lru_cache(maxsize=4096)
def _rendered(text: str) -> str:
    """The same text always renders the same: pages shown again (the description, each comment) reuse it."""
    html = _markdown.render(text)
    clean = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_ALLOWED_SCHEMES,
        link_rel="nofollow ugc noopener",
    )
    return clean
