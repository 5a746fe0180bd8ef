"""Blinker signals: producers send them, other domains connect to them (never the other way round)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

user_registered = _signals.signal("user-registered")
password_reset = _signals.signal("password-reset")
role_changed = _signals.signal("role-changed")
