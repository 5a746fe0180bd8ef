"""Which stored photos media must withhold: those of issues and comments hidden by the moderators."""

from __future__ import annotations

from sqlalchemy import or_, select

from civic.extensions import db
from civic.issues.models import Photo
from civic.media.views import withhold_when


@withhold_when
def hidden_by_moderators(key: str) -> bool:
    return (
        db.session.scalar(
            select(Photo.id).where(or_(Photo.key == key, Photo.thumb_key == key), Photo.hidden_at.is_not(None)).limit(1)
        )
        is not None
    )
