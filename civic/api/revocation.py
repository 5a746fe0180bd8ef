"""A new password ends the person's API tokens: civic/accounts sends `password_changed` (on a change and on a
reset through a link), and this receiver revokes every token still active, in the same transaction."""

from __future__ import annotations

from sqlalchemy import select

from civic import signals
from civic.accounts.models import User
from civic.api.models import ApiToken
from civic.extensions import db


@signals.password_changed.connect
def revoke_tokens_on_new_password(_sender, *, user: User, **_kw) -> int:
    """Revoke all of `user`'s active tokens; return how many (the page tells the person)."""
    active = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    revoked = sum(1 for token in active if token.revoke())
    db.session.flush()
    return revoked
