"""Secrets that people and apps authenticate with — personal API tokens (civic/api) and GeoReport api
keys (civic/georeport) — made, stored, recognised and retired one way.

- A secret is 32 random bytes from `secrets`, URL-safe, after an optional recognisable prefix ("civic_").
- Only its SHA-256 is stored. 256 random bits make guessing hopeless, so a plain hash (no salt, no
  stretching) is enough, and a copy of the database holds no working secret. The plaintext is returned
  once, by `generate`, for the page or the command to show once.
- The first characters of the plaintext may be kept (`display_prefix`) so a person can tell theirs apart.
- A presented secret is looked up by its hash, then compared with the stored hash in constant time.
- Last use is recorded at most once per `granularity`, so a busy script does not cost a write per request.

`CredentialMixin` gives a model the columns every credential has (created_at, revoked_at); the model names
its hash column in `__hash_column__`. Writes only flush: the caller's unit of work commits them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import ClassVar, Protocol, TypeVar

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm.attributes import set_committed_value

from civic.database import UTCDateTime, independent_transaction, utcnow
from civic.extensions import db

SECRET_BYTES = 32
MAX_PRESENTED = 200  # anything longer is not one of ours: do not even hash it

C = TypeVar("C", bound="CredentialMixin")


class Used(Protocol):
    """A credential that records its last use (API tokens do; GeoReport keys have no such column)."""

    id: int
    last_used_at: datetime | None


class CredentialMixin:
    """created_at and revoked_at, and what follows from them. `__hash_column__` names the model's column
    holding the secret's SHA-256 (hex, 64 characters, unique)."""

    __hash_column__: ClassVar[str]

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def secret_digest(self) -> str:
        return getattr(self, self.__hash_column__)

    def revoke(self) -> bool:
        """Stop it working (the row stays, for the record); True when it was live. Revoking twice keeps
        the first date."""
        if self.revoked_at is not None:
            return False
        self.revoked_at = utcnow()
        db.session.flush()
        return True


def generate(prefix: str = "") -> str:
    """A new secret: `prefix` and 43 random URL-safe characters."""
    return prefix + secrets.token_urlsafe(SECRET_BYTES)


def digest(plain: str) -> str:
    """What is stored of a secret: its SHA-256, in hex."""
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


def display_prefix(plain: str, length: int) -> str:
    return plain[:length]


def matches(plain: str, stored_digest: str | None) -> bool:
    """Whether `plain` is the secret behind `stored_digest`, compared in constant time."""
    return hmac.compare_digest(digest(plain), stored_digest or "")


def find(model: type[C], plain: str | None, *, prefix: str = "") -> C | None:
    """The live (not revoked) credential of `model` whose secret is `plain`; None for a missing, malformed,
    unknown or revoked one."""
    if not plain or len(plain) > MAX_PRESENTED or not plain.startswith(prefix):
        return None
    hashed = digest(plain)
    credential = db.session.scalar(
        select(model).where(getattr(model, model.__hash_column__) == hashed, model.revoked_at.is_(None))
    )
    if credential is None or not matches(plain, credential.secret_digest):
        return None
    return credential


def record_use(credential: Used, granularity: timedelta) -> bool:
    """Move the credential's `last_used_at` to now, unless it moved less than `granularity` ago. Recorded in a
    transaction of its own, before the request has written anything: the use counts even if the request
    then fails and rolls back."""
    now = utcnow()
    if credential.last_used_at is not None and now - credential.last_used_at < granularity:
        return False
    table = sa_inspect(type(credential)).local_table  # the mapped model's table (a Protocol knows no columns)
    with independent_transaction() as session:
        session.execute(update(table).where(table.c.id == credential.id).values(last_used_at=now))
    set_committed_value(credential, "last_used_at", now)  # the request's copy agrees, and is not dirty
    return True
