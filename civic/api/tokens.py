"""Personal API tokens: make one, revoke one, and find whose token a request carries.

A token is "civic_" followed by 43 random URL-safe characters (32 bytes from `secrets`). civic keeps only its
SHA-256 and its first characters (the prefix, so a person can tell their tokens apart): the plaintext is
returned once, by `create_token`, for the page to show, and cannot be recovered afterwards.

Rules, kept here once for the token page and anything else that makes tokens:
- a name is required (at most 80 characters): what the person will use it for;
- at most MAX_ACTIVE_TOKENS tokens that are not revoked, per person;
- a suspended account makes no tokens, and its tokens authenticate nobody until it is reinstated;
- people revoke their own tokens only (someone else's token id is "not found", not "forbidden");
- `last_used_at` moves at most once a minute, so a busy script does not cost a database write per request.

Making, hashing, recognising and revoking the secret itself is civic/credentials.py's (shared with the
GeoReport api keys).
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from civic import credentials
from civic.accounts.models import User
from civic.api.models import ApiToken
from civic.errors import NotFound, PermissionDenied, ValidationError
from civic.extensions import db
from civic.text import clean_text

TOKEN_PREFIX = "civic_"  # noqa: S105 - the public marker every token starts with, not a secret
PREFIX_LENGTH = 12  # "civic_" and 6 random characters: enough to recognise, far too few to guess the rest
NAME_MAX = 80
MAX_ACTIVE_TOKENS = 10
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _active_count(user: User) -> int:
    return db.session.scalar(  # type: ignore[return-value]  # a count is never NULL
        select(func.count()).select_from(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    )


def create_token(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`, and its plaintext (to show once: only its hash is stored)."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied(_("Sign in to create an API token."))
    if user.is_suspended:
        raise PermissionDenied(_("A suspended account cannot create API tokens."))
    name = clean_text(
        name,
        field="name",
        max_len=NAME_MAX,
        one_line=True,
        required=_("Give the token a name, so you can recognise it later."),
    )
    # Serialise this person's token creation (PostgreSQL locks the row; SQLite has one writer anyway).
    db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
    if _active_count(user) >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            ngettext(
                "You already have %(num)d active token, the most allowed. Revoke one you no longer use first.",
                "You already have %(num)d active tokens, the most allowed. Revoke one you no longer use first.",
                MAX_ACTIVE_TOKENS,
            )
        )
    plaintext = credentials.generate(TOKEN_PREFIX)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=credentials.digest(plaintext),
        prefix=credentials.display_prefix(plaintext, PREFIX_LENGTH),
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def user_tokens(user: User) -> list[ApiToken]:
    """This person's tokens, active ones first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of `user`'s own tokens (again is harmless). Anyone else's token: NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or user is None or not user.is_authenticated or token.user_id != user.id:
        raise NotFound(_("There is no such token among yours."))
    if token.revoke():
        db.session.flush()
    return token


def user_for_token(plaintext: str | None) -> User | None:
    """The person a token belongs to; None for an unknown or revoked token, or a suspended account's."""
    token = credentials.find(ApiToken, plaintext, prefix=TOKEN_PREFIX)
    if token is None:
        return None
    user = token.user
    if user is None or user.is_suspended:
        return None
    credentials.record_use(token, LAST_USED_GRANULARITY)
    return user
