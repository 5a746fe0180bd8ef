"""Photo files on disk, addressed by opaque keys like "3f/3f9c…e1.jpg".

The folder is `UPLOAD_DIR`, or `instance/uploads` when it is not set. A key is two hex characters (a fan-out
folder, so no folder grows huge), then a random uuid4 hex starting with those two characters, then a
suffix. Keys come back in URLs, so `path_for` accepts only that exact shape: no "..", no absolute paths.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from civic.errors import NotFound

KEY_RE = re.compile(r"([0-9a-f]{2})/\1[0-9a-f]{30}\.[a-z0-9]{1,8}")
SUFFIX_RE = re.compile(r"\.[a-z0-9]{1,8}")
FILE_MODE = 0o644  # readable by a front server (nginx) that may serve the folder directly


def upload_dir() -> Path:
    configured = current_app.config.get("UPLOAD_DIR")
    return Path(configured or os.path.join(current_app.instance_path, "uploads"))


def save(data: bytes, suffix: str = ".jpg") -> str:
    """Write `data` under a new random key and return the key. Readers never see a half-written file."""
    if not SUFFIX_RE.fullmatch(suffix):
        raise ValueError(f"bad suffix {suffix!r}: use a dot and 1-8 lower-case letters or digits")
    name = uuid.uuid4().hex
    key = f"{name[:2]}/{name}{suffix}"
    target = upload_dir() / key
    target.parent.mkdir(parents=True, exist_ok=True)
    # The temporary name (".tmp….part") never matches KEY_RE, so it can never be served.
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return key


def is_valid_key(key: object) -> bool:
    return isinstance(key, str) and KEY_RE.fullmatch(key) is not None


def path_for(key: str) -> Path:
    """The file's path for a well-formed key (the file may not exist). Raises NotFound for any other key."""
    if not is_valid_key(key):
        raise NotFound(_("That photo was not found."))
    return upload_dir() / key


def delete(key: str) -> None:
    """Remove the file; a file already gone is fine. Fan-out folders stay (a concurrent save may use them)."""
    path_for(key).unlink(missing_ok=True)
