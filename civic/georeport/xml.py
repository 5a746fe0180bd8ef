"""GeoReport v2 XML: a root element holding one element per record, each field a child element.

    dumps("service_requests", "request", [{"service_request_id": "7", "lat": 39.9}])
    -> b'<?xml version="1.0" encoding="utf-8"?><service_requests><request><service_request_id>7</service_request_id>...'

Generic on purpose (the server writes it; a client or a test double can use it too):

- a scalar becomes the element's text: None is an empty element, True/False are "true"/"false" (the
  spec's spelling for `metadata` and `required`), numbers use Python's repr, datetimes isoformat();
- a dict becomes an element with one child per key;
- a list becomes a container element with one child per item, named by `item_tags[key]`, or the key
  without its final "s" (endpoints -> endpoint, formats -> format, attributes -> attribute, values -> value).

Characters XML 1.0 cannot carry (most control characters) are dropped, so free text typed by residents
never makes the document unreadable.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import date, datetime

XML_MIMETYPE = "text/xml"
_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'
# Everything outside XML 1.0's Char production: C0 controls but tab, LF and CR; surrogates; U+FFFE/U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*\Z")


def clean_text(text: str) -> str:
    """The text without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("", text)


def text_of(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return repr(value)
    return clean_text(str(value))


def _item_tag(key: str, item_tags: Mapping[str, str]) -> str:
    if key in item_tags:
        return item_tags[key]
    return key[:-1] if key.endswith("s") and len(key) > 1 else f"{key}_item"


def _check_tag(tag: str) -> str:
    if not _TAG.match(tag) or tag.lower().startswith("xml"):
        raise ValueError(f"not a usable XML element name: {tag!r}")
    return tag


def element(tag: str, value: object, item_tags: Mapping[str, str] | None = None) -> ET.Element:
    """One element for `value` (see the module docstring for how each type is written)."""
    item_tags = item_tags or {}
    node = ET.Element(_check_tag(tag))
    if isinstance(value, Mapping):
        for key, child in value.items():
            node.append(element(str(key), child, item_tags))
    elif isinstance(value, (list, tuple)):
        child_tag = _item_tag(tag, item_tags)
        for child in value:
            node.append(element(child_tag, child, item_tags))
    else:
        text = text_of(value)
        if text:
            node.text = text
    return node


def _serialise(root: ET.Element) -> bytes:
    return _DECLARATION + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def dumps(root: str, item: str, records: Iterable[Mapping], item_tags: Mapping[str, str] | None = None) -> bytes:
    """A list of records: <root><item>fields</item>...</root>, UTF-8 with a declaration."""
    node = ET.Element(_check_tag(root))
    for record in records:
        node.append(element(item, record, item_tags))
    return _serialise(node)


def dumps_object(root: str, record: Mapping, item_tags: Mapping[str, str] | None = None) -> bytes:
    """A single object (discovery, a service definition): <root>fields</root>."""
    return _serialise(element(root, record, item_tags))
