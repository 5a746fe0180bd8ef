"""Atom documents built with feedgen: stable tag: ids, text made safe for XML, and the HTTP response.

Nothing here queries the database or decides what is private; the views hand over finished entries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from flask import Response, current_app, request
from flask_babel import get_locale

ATOM_MIMETYPE = "application/atom+xml"
# The date in a tag: URI only says who minted the name and when; it must never change, or every
# feed reader would see every entry as new.
TAG_DATE = "2026"

# Characters XML 1.0 cannot carry at all (most C0 controls, lone surrogates, U+FFFE/U+FFFF). Text fields
# accept them, and lxml refuses to serialise them, so they are dropped here rather than failing the feed.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_DNS_NAME = re.compile(r"^[A-Za-z0-9.-]+$")


def xml_text(value: object) -> str:
    return _NOT_XML.sub("", str(value or ""))


def tag_authority() -> str:
    """The host name that mints our ids: SERVER_NAME when configured, else the request's host, no port."""
    host = urlsplit("//" + (current_app.config.get("SERVER_NAME") or request.host)).hostname or ""
    return host if _DNS_NAME.match(host) else "localhost"


def tag(specific: str) -> str:
    """An RFC 4151 tag URI, e.g. tag:civic.example,2026:issue/7/comment/12."""
    return f"tag:{tag_authority()},{TAG_DATE}:{specific}"


@dataclass
class Entry:
    id: str
    title: str
    url: str
    published: datetime
    updated: datetime
    html: str | None = None  # already sanitised HTML (civic.text.render_user_text)
    text: str | None = None  # plain text, escaped by the XML serialiser
    author: str | None = None


def build_feed(
    *, feed_id: str, title: str, self_url: str, alternate_url: str, entries: list[Entry], updated: datetime
) -> FeedGenerator:
    """A feed whose entries keep the order given (newest first)."""
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(xml_text(title))
    fg.updated(updated)
    fg.author({"name": "civic"})
    fg.link(href=self_url, rel="self", type=ATOM_MIMETYPE)
    fg.link(href=alternate_url, rel="alternate", type="text/html")
    fg.language(str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]))
    for item in entries:
        fe = fg.add_entry(order="append")  # feedgen prepends by default
        fe.id(item.id)
        fe.title(xml_text(item.title))
        fe.link(href=item.url, rel="alternate", type="text/html")
        fe.published(item.published)
        fe.updated(item.updated)
        if item.author:
            fe.author({"name": xml_text(item.author)})
        if item.html:
            fe.content(xml_text(item.html), type="html")
        elif item.text:
            fe.content(xml_text(item.text), type="text")
    return fg


def atom_response(fg: FeedGenerator) -> Response:
    response = Response(fg.atom_str(pretty=True), content_type=f"{ATOM_MIMETYPE}; charset=utf-8")
    # Titles follow the reader's language (Accept-Language, or the session's choice).
    response.vary.update(("Accept-Language", "Cookie"))
    # Feed readers poll: let them ask "anything new?" and get a 304 when nothing is.
    response.add_etag()
    response.make_conditional(request)  # in place: a 304 when the reader has this version
    return response
