"""User text: cleaning what people type (`clean_text`, the one rule for titles, descriptions, reasons, event
fields, names, addresses, token and key names; `refuse_hostile_characters` for text stored or searched as
typed) and rendering it to safe HTML (`render_user_text`: paragraphs, line breaks,
links and a little emphasis, nothing else).

The character rule: control characters other than newline and tab (NUL included) are refused with a
message; a carriage return (browsers send CRLF from a textarea) becomes a newline. Bidi override and isolate
characters (U+202A-U+202E, U+2066-U+2069, which make "\u202egnp.exe" read as "exe.png") are *stripped*, not
refused: pasted right-to-left text may carry them harmlessly. Invisible characters (zero-width space and
joiners, BOM, word joiner, soft hyphen...) are kept inside text (emoji and some scripts need the joiners) but
do not count: text made only of them is blank, so a required field says so.

Markdown-it renders with raw HTML disabled and bare URLs linked; nh3 (the Rust `ammonia` sanitiser)
then allows only a short list of tags and forces rel="nofollow ugc noopener" on links. Two layers, so a
gap in one is not a hole.
"""

from __future__ import annotations

import functools
import re
from typing import overload

import nh3
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup

from civic.errors import ValidationError

_ALLOWED_TAGS = {"p", "br", "a", "em", "strong", "ul", "ol", "li", "blockquote", "code"}
_ALLOWED_ATTRIBUTES = {"a": {"href"}}
_ALLOWED_SCHEMES = {"http", "https", "mailto"}

# The characters of each kind, as regex class contents: the API's schemas (civic/api/schemas.py) build their
# patterns from the same sets, so what the OpenAPI document calls valid text is what this module accepts.
BIDI_CONTROL_CHARS = r"\u202a-\u202e\u2066-\u2069"
INVISIBLE_CHARS = r"\u00ad\u034f\u061c\u115f\u1160\u180b-\u180e\u200b-\u200f\u2060-\u2064\u3164\ufeff\uffa0"
# C0 controls but tab and newline (a carriage return becomes a newline first), DEL, and the C1 controls.
CONTROL_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI_CONTROLS = re.compile(f"[{BIDI_CONTROL_CHARS}]")
_INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
_CONTROLS = re.compile(f"[{CONTROL_CHARS}]")


def refuse_hostile_characters(value: str, *, field: str | None = None) -> str:
    """`value` with carriage returns made newlines and bidi controls stripped; other control characters are
    refused with a ValidationError naming `field`."""
    text = _BIDI_CONTROLS.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if _CONTROLS.search(text):
        raise ValidationError(_("Remove the control characters from this text."), field=field)
    return text


def visible_length(text: str) -> int:
    """How many characters of `text` count: invisible characters do not, nor white space at either end."""
    return len(_INVISIBLE.sub("", text).strip())


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
    """What a person typed, trimmed (`one_line`: every run of white space made one space), under the
    character rule above. Empty (or only invisible characters) gives None, unless `required` is the message to
    refuse it with (also for text with fewer than `min_len` visible characters); longer than `max_len` is
    refused. Refusals are ValidationErrors naming `field`."""
    text = refuse_hostile_characters(value or "", field=field)
    text = " ".join(text.split()) if one_line else text.strip()
    visible = visible_length(text)
    if required is not None and visible < min_len:
        raise ValidationError(required, field=field)
    if len(text) > max_len:
        raise ValidationError(_("Use at most %(n)d characters.", n=max_len), field=field)
    return text if visible else None


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
