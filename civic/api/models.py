"""Personal API tokens: a person's key for writing through /api/v1 from a script or an app.

Only the token's SHA-256 is kept (a stolen database holds no usable token) and its first characters, so the
person can tell their tokens apart. The token itself is shown once, when it is made (civic/api/tokens.py);
the secret handling is civic/credentials.py's, shared with the GeoReport api keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.credentials import CredentialMixin
from civic.database import UTCDateTime
from civic.extensions import Model


class ApiToken(CredentialMixin, Model):
    __tablename__ = "api_tokens"
    __hash_column__ = "token_hash"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Deleting the account deletes its tokens (the database does it: privacy.services.delete_account).
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))  # what the person called it ("my phone app")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the token
    prefix: Mapped[str] = mapped_column(String(12))  # the token's first characters, shown in lists
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # to the minute (see tokens.py)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… user={self.user_id}>"
