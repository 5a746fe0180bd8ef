"""ApiKey: what another 311 app POSTs into civic's own GeoReport endpoint with (civic/georeport/keys.py)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from civic.accounts.models import User
from civic.credentials import CredentialMixin
from civic.extensions import Model


class ApiKey(CredentialMixin, Model):
    """A key another 311 app uses to POST requests into civic's own GeoReport endpoint. Only a hash is kept;
    requests arrive as reports by the key's user."""

    __tablename__ = "open311_api_keys"
    __hash_column__ = "key_hash"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship()
