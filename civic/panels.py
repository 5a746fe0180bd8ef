"""Pages composed from several domains: the registry of panels (kernel; imports no domain package).

A domain contributes a panel to a page by registering it when its blueprint module is imported:

    panels.register(page="issue", name="planned-events", template="events/_planned.html",
                    context=planned_for, order=30, slot="notices")

`context(**subject)` gets what the page is about (for the issue page: `issue=` and `viewer=`; for the report
form: `form=`) and returns the panel's data as a dict, or None when it has nothing to show. The page's view
calls `collect(page, **subject)` before rendering, so every query a panel needs runs in the view, never while
the template renders; the template shows each slot with `templates/_panels.html`, where a panel's template
sees its data as `panel` (and the page's own variables). Within a slot panels come in `order`, then by name.
In the spirit of Indico's template hooks, with the data gathered ahead of rendering.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

ContextFn = Callable[..., Mapping[str, Any] | None]

DEFAULT_SLOT = "main"


@dataclass(frozen=True)
class Panel:
    """One registered contribution to a page."""

    page: str
    name: str
    template: str
    context: ContextFn
    order: int = 100
    slot: str = DEFAULT_SLOT


@dataclass(frozen=True)
class Shown:
    """A panel with its data for one rendering of the page: what the page template includes."""

    name: str
    template: str
    slot: str
    order: int
    context: Mapping[str, Any]


_registry: dict[str, dict[str, Panel]] = {}


def register(
    *, page: str, name: str, template: str, context: ContextFn, order: int = 100, slot: str = DEFAULT_SLOT
) -> Panel:
    """Add (or, with the same page and name, replace) a panel; returns it."""
    panel = Panel(page=page, name=name, template=template, context=context, order=order, slot=slot)
    _registry.setdefault(page, {})[name] = panel
    return panel


def panel(*, page: str, name: str, template: str, order: int = 100, slot: str = DEFAULT_SLOT):
    """Decorator form of `register` for the context function."""

    def decorate(fn: ContextFn) -> ContextFn:
        register(page=page, name=name, template=template, context=fn, order=order, slot=slot)
        return fn

    return decorate


def unregister(page: str, name: str) -> None:
    _registry.get(page, {}).pop(name, None)


def registered(page: str) -> list[Panel]:
    """The page's panels in the order they are shown (slot by slot: order, then name)."""
    return sorted(_registry.get(page, {}).values(), key=lambda p: (p.order, p.name))


def collect(page: str, **subject: Any) -> list[Shown]:
    """Run each panel's context for this page; those answering None are left out."""
    shown = []
    for p in registered(page):
        data = p.context(**subject)
        if data is not None:
            shown.append(Shown(name=p.name, template=p.template, slot=p.slot, order=p.order, context=data))
    return shown
