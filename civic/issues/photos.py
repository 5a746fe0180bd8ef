"""Attach processed photos to issues and comments. All uploads are checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from flask_babel import gettext as _

from civic.database import on_rollback, utcnow
from civic.errors import ValidationError
from civic.extensions import db
from civic.issues.models import Photo
from civic.media import storage
from civic.media.images import ProcessedImage, process_upload

MAX_ISSUE_PHOTOS = 4


def real_uploads(files: Sequence | None) -> list:
    """Browsers send an empty file part when nothing is chosen; drop those."""
    return [f for f in (files or []) if f is not None and bool(getattr(f, "filename", ""))]


def check_uploads(files: Sequence, *, allowed: int) -> list[tuple[str, ProcessedImage]]:
    """Decode and re-encode every upload first: one bad photo refuses the lot, nothing half-written."""
    if len(files) > allowed:
        raise ValidationError(
            _("You can add up to %(n)d photos.", n=MAX_ISSUE_PHOTOS)
            if allowed == MAX_ISSUE_PHOTOS
            else _("You can add %(n)d more photo(s).", n=max(allowed, 0)),
            field="photos",
        )
    return [(f.filename, process_upload(f)) for f in files]


class StoredPhotos:
    """Saves processed images to disk and builds Photo rows; `discard()` removes the files if the
    database write that follows fails, so no orphan files are left behind."""

    def __init__(self):
        self.keys: list[str] = []

    def build(
        self,
        processed: list[tuple[str, ProcessedImage]],
        *,
        issue_id: int,
        uploader_id: int | None,
        comment_id: int | None = None,
        first_position: int = 0,
    ) -> list[Photo]:
        photos = []
        for offset, (_name, image) in enumerate(processed):
            key, thumb = self.save_files(image)
            photos.append(
                Photo(
                    issue_id=issue_id,
                    comment_id=comment_id,
                    uploader_id=uploader_id,
                    key=key,
                    thumb_key=thumb,
                    width=image.width,
                    height=image.height,
                    position=first_position + offset,
                )
            )
        db.session.add_all(photos)
        return photos

    def save_files(self, image: ProcessedImage) -> tuple[str, str]:
        """Write the full image and its thumbnail; returns their storage keys."""
        key = storage.save(image.full)
        self.keys.append(key)
        thumb = storage.save(image.thumb)
        self.keys.append(thumb)
        return key, thumb

    def discard(self) -> None:
        for key in self.keys:
            storage.delete(key)


@contextmanager
def saving_photos() -> Iterator[StoredPhotos]:
    """A write that stores photos: flushed at the end of the block; the files are deleted if the block fails
    or if the unit of work it belongs to rolls back later."""
    stored = StoredPhotos()
    try:
        yield stored
        db.session.flush()
    except Exception:
        stored.discard()
        raise
    on_rollback(stored.discard)


def remove(photos: Sequence[Photo]) -> None:
    """Hide photos from the issue; the files stay, for the edit history and moderation."""
    now = utcnow()
    for photo in photos:
        photo.removed_at = now
