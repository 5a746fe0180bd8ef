"""API keys for civic's own GeoReport v2 endpoint: another 311 app POSTs requests with one.

A key is shown once, when it is made; only its SHA-256 is stored, so a copy of the database does not
give anyone a working key (civic/credentials.py, as for personal API tokens). Requests sent with a key
are reports by the key's user (an ordinary account: its role decides what it may do, exactly as on the
site). Writes only flush: the request or the command's unit of work commits them.
"""

from __future__ import annotations

from flask_babel import gettext as _

from civic import credentials
from civic.accounts.models import User
from civic.errors import NotFound, ValidationError
from civic.extensions import db
from civic.georeport.models import ApiKey
from civic.text import clean_text

NAME_MAX = 120


def hash_key(plain: str) -> str:
    return credentials.digest(plain)


def create_api_key(name: str, user: User) -> str:
    """Make a key for `user`, labelled `name` (which app holds it). Returns the key itself: show it once."""
    refusal = _("Give the key a name of at most %(n)d characters.", n=NAME_MAX)
    name = clean_text(name, field="name", max_len=NAME_MAX, required=refusal, one_line=True)
    if user is None or user.id is None:
        raise ValidationError(_("Choose the account the key reports as."), field="user")
    plain = credentials.generate()
    db.session.add(ApiKey(name=name, key_hash=credentials.digest(plain), user_id=user.id))
    db.session.flush()
    return plain


def revoke_api_key(key: ApiKey | int) -> ApiKey:
    """Stop a key working (the row stays, for the record). Revoking twice keeps the first date."""
    api_key = key if isinstance(key, ApiKey) else db.session.get(ApiKey, key)
    if api_key is None:
        raise NotFound(_("That API key does not exist."))
    api_key.revoke()
    return api_key


def user_for_key(plain: str | None) -> User | None:
    """The user a live key belongs to; None for a missing, unknown or revoked key."""
    api_key = credentials.find(ApiKey, (plain or "").strip())
    return api_key.user if api_key is not None else None
