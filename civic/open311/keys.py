"""API keys for civic's own GeoReport v2 endpoint: another 311 app POSTs requests with one.

A key is shown once, when it is made; only its SHA-256 is stored, so a copy of the database does not
give anyone a working key. Requests sent with a key are reports by the key's user (an ordinary account:
its role decides what it may do, exactly as on the site).
"""
from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select

from civic.accounts.models import User
from civic.database import utcnow
from civic.errors import NotFound, ValidationError
from civic.extensions import db
from civic.open311.models import ApiKey

KEY_BYTES = 32  # 256 random bits: guessing is hopeless, so a plain hash (no salt, no stretching) is enough
NAME_MAX = 120


def hash_key(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def create_api_key(name: str, user: User) -> str:
    """Make a key for `user`, labelled `name` (which app holds it). Returns the key itself: show it once."""
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ValidationError(_("Give the key a name of at most %(n)d characters.", n=NAME_MAX), field="name")
    if user is None or user.id is None:
        raise ValidationError(_("Choose the account the key reports as."), field="user")
    plain = secrets.token_urlsafe(KEY_BYTES)
    db.session.add(ApiKey(name=name, key_hash=hash_key(plain), user_id=user.id))
    db.session.commit()
    return plain


def revoke_api_key(key: ApiKey | int) -> ApiKey:
    """Stop a key working (the row stays, for the record). Revoking twice keeps the first date."""
    api_key = key if isinstance(key, ApiKey) else db.session.get(ApiKey, key)
    if api_key is None:
        raise NotFound(_("That API key does not exist."))
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        db.session.commit()
    return api_key


def user_for_key(plain: str | None) -> User | None:
    """The user a live key belongs to; None for a missing, unknown or revoked key."""
    plain = (plain or "").strip()
    if not plain or len(plain) > 200:
        return None
    api_key = db.session.scalar(
        select(ApiKey).where(ApiKey.key_hash == hash_key(plain), ApiKey.revoked_at.is_(None))
    )
    return api_key.user if api_key is not None else None
