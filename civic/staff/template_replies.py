"""Official replies made from a response template, kept so each reader gets the template in their language.

When a reply is exactly one of a template's versions (English or Spanish, after the trimming every reply gets),
the comment stores the code `template_reply` with both versions as they were when it was posted: a later edit of
the template does not rewrite what the city said. A reader whose language the template lacks gets the other
version with a visible note. A reply the staff member changed is their own words and is stored as written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from civic import stored_text
from civic.staff.models import ResponseTemplate

TEMPLATE_REPLY = "template_reply"
LANGUAGES = ("en", "es")


def same_text(value: str | None) -> str:
    """The text as a reply is compared: trimmed as clean_text trims it, and with the browser's CRLF line ends
    made plain newlines (a textarea posts CRLF, so a template saved from the form and one filled in by the page
    still compare equal)."""
    return (value or "").replace("\r\n", "\n").strip()


def versions(template: ResponseTemplate) -> dict[str, str | None]:
    """The template's text per language (None where it has no version in that language)."""
    return {"en": same_text(template.body) or None, "es": same_text(template.body_es) or None}


def matching_params(body: str, templates: Iterable[ResponseTemplate]) -> dict[str, Any] | None:
    """The stored-text parameters when `body` is exactly a version of one of these templates, else None. Where
    several templates say the same, the one with the most languages wins (then the newest), so a reply reaches
    as many readers as possible in their own language."""
    wanted = same_text(body)
    if not wanted:
        return None
    found = []
    for template in templates:
        texts = versions(template)
        for language, text in texts.items():
            if text == wanted:
                found.append((sum(1 for t in texts.values() if t), template.id, language, texts))
    if not found:
        return None
    _languages, template_id, language, texts = max(found, key=lambda f: (f[0], f[1]))
    return {"template_id": template_id, "posted": language, **texts}


def _reader_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else "en"


def _render(params: Mapping[str, Any]) -> str:
    """A template reply in the reader's language; the other version with a note where that one is missing.
    Neither version (a damaged row) raises KeyError, so stored_text shows the posted body."""
    wanted = _reader_language()
    if params.get(wanted):
        return str(params[wanted])
    other = next((str(params[lang]) for lang in LANGUAGES if params.get(lang)), None)
    if other is None:
        raise KeyError("a template reply without text")
    if wanted == "es":
        note = _("Standard answer, not yet available in Spanish:")
    else:
        note = _("Standard answer, not yet available in English:")
    return f"{note}\n\n{other}"


stored_text.register(TEMPLATE_REPLY, _render)


def fill_text(template: ResponseTemplate) -> str:
    """What "use this template" puts in the reply box: the version in the staff member's interface language,
    or the other one where it is missing."""
    texts = versions(template)
    return texts.get(_reader_language()) or texts["en"] or texts["es"] or ""


def title_in_language(template: ResponseTemplate) -> str:
    """The template's title in the current interface language, or the English one."""
    return (template.title_es if _reader_language() == "es" else None) or template.title


def previews(templates: Iterable[ResponseTemplate]) -> dict[str, str]:
    """For each version of each template: what a reader in the current language will see if it is posted
    unchanged (the staff form's preview uses it; other text is shown as written)."""
    shown: dict[str, str] = {}
    for template in templates:
        params = {"template_id": template.id, **versions(template)}
        for language in LANGUAGES:
            if params.get(language):
                shown.setdefault(str(params[language]), stored_text.render(TEMPLATE_REPLY, params))
    return shown
