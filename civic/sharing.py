"""What a link shows when it is shared: the helpers behind templates/_sharing.html (Open Graph and Twitter card
tags, the canonical URL).

Pages pass only what the public may see (a hidden issue gets the site's default tags); this module turns it into
plain text and absolute URLs. Autoescaping does the rest: the tags are attribute values in the template.
"""

from __future__ import annotations

import re

from flask import Flask, request, url_for

from civic.text import render_user_text

SUMMARY_LENGTH = 200
OG_LOCALES = {"en": "en_US", "es": "es_US"}  # the city's languages, as Open Graph spells a locale


def share_summary(text: str | None, length: int = SUMMARY_LENGTH) -> str:
    """User text (Markdown) as one line of plain text, cut at a word before `length` characters with "…"."""
    plain = render_user_text(text).striptags() if text else ""
    plain = re.sub(r"\s+", " ", plain).strip()
    if len(plain) <= length:
        return plain
    cut = plain[: length - 1]
    if " " in cut[length // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.") + "…"


def canonical_url() -> str | None:
    """This page's own address, without its query string: the one name crawlers and link previews keep."""
    if request.endpoint is None or request.endpoint in ("static", "favicon"):
        return None
    return url_for(request.endpoint, **(request.view_args or {}), _external=True)


def absolute_static(filename: str) -> str:
    return url_for("static", filename=filename, _external=True)


def init_app(app: Flask) -> None:
    app.add_template_filter(share_summary)
    app.add_template_global(canonical_url)
    app.add_template_global(absolute_static)
    app.jinja_env.globals["og_locales"] = OG_LOCALES
