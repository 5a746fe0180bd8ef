"""Photo uploads: decode with Pillow, refuse what is not a photo, draw the pixels again into a clean JPEG.

Nothing of the uploaded file reaches the output but its pixels: no EXIF (GPS position, camera serial),
no XMP, no JPEG comment, no colour profile (colours are converted to sRGB first, so dropping the profile
does not shift them), no trailing data. The format is decided by decoding, never by the file name or the
browser's content type.
"""

from __future__ import annotations

import logging
import unicodedata
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civic.errors import ValidationError

log = logging.getLogger(__name__)

FIELD = "photos"
# Pillow tries only these decoders. The JPEG one also yields "MPO": a JPEG carrying extra pictures
# (many phones' HDR or depth photos), which is accepted like any JPEG.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP")
ACCEPTED_FORMATS = frozenset({"JPEG", "MPO", "PNG", "WEBP"})
JPEG_QUALITY = 85
NAME_MAX = 60

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_DIMENSION = 2048
DEFAULT_THUMB_DIMENSION = 400


@dataclass(frozen=True)
class ProcessedImage:
    full: bytes
    thumb: bytes
    width: int
    height: int
    content_type: str = "image/jpeg"


def process_upload(file) -> ProcessedImage:
    """Validate and re-encode one uploaded photo. Raises ValidationError(field="photos") if unusable."""
    cfg = current_app.config
    name = display_name(getattr(file, "filename", None))
    limit = int(cfg.get("PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))
    max_dimension = int(cfg.get("PHOTO_MAX_DIMENSION", DEFAULT_MAX_DIMENSION))
    thumb_dimension = int(cfg.get("PHOTO_THUMB_DIMENSION", DEFAULT_THUMB_DIMENSION))

    data = _read_at_most(file, limit + 1)
    if len(data) > limit:
        raise _too_large(name, limit)
    img = _decode(data, name, int(cfg.get("PHOTO_MAX_PIXELS", DEFAULT_MAX_PIXELS)), max_dimension)
    try:
        full = _clean_rgb(_upright(img))
        full.thumbnail((max_dimension, max_dimension), Image.Resampling.LANCZOS)
        thumb = full.copy()
        thumb.thumbnail((thumb_dimension, thumb_dimension), Image.Resampling.LANCZOS)
        return ProcessedImage(full=_jpeg(full), thumb=_jpeg(thumb), width=full.width, height=full.height)
    except Exception:  # (decoded but unusual: say so to the resident, not with a 500)
        log.warning("photo %r: decoded but could not be converted", name, exc_info=True)
        raise _unreadable(name) from None


def display_name(filename: str | None) -> str:
    """The file's name as safe, short text for a message: no folders, no control or bidi characters."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    if not name:
        return _("unnamed photo")
    if len(name) > NAME_MAX:  # keep the end: the extension helps people recognise the file
        name = name[: NAME_MAX - 11].rstrip() + "…" + name[-10:]
    return name


# --- reading and decoding ----------------------------------------------------------------------


def _read_at_most(file, size: int) -> bytes:
    try:
        file.seek(0)  # a validator may already have read the stream
    except (AttributeError, OSError, ValueError):
        pass
    data = file.read(size)
    return data or b""


@contextmanager
def _bombs_are_errors():
    """Pillow warns (not raises) for images between MAX_IMAGE_PIXELS and twice that: make it an error.

    catch_warnings changes process-wide state; a concurrent request can at worst leave this one filter
    ("DecompressionBombWarning is an error") in place, which is what we want anyway.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _decode(data: bytes, name: str, max_pixels: int, max_dimension: int) -> Image.Image:
    if not data:
        raise _unreadable(name)
    try:
        with _bombs_are_errors():
            img = Image.open(BytesIO(data), formats=OPEN_FORMATS)
    except UnidentifiedImageError:
        raise _not_a_photo(name) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # (a malformed header can raise nearly anything)
        log.info("photo %r: header could not be parsed", name, exc_info=True)
        raise _unreadable(name) from None

    if img.format not in ACCEPTED_FORMATS:
        raise _not_a_photo(name)
    width, height = img.size
    if width < 1 or height < 1:
        raise _unreadable(name)
    if width * height > max_pixels:
        raise _too_many_pixels(name)

    try:
        with _bombs_are_errors():
            if img.format in ("JPEG", "MPO"):
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the result is downscaled anyway:
                # less memory and time. The whole stream is still decoded, so damage is still found.
                img.draft(None, (max_dimension, max_dimension))
            img.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except Exception:  # (truncated or corrupt data: OSError, SyntaxError, ValueError, ...)
        log.info("photo %r: image data could not be decoded", name, exc_info=True)
        raise _unreadable(name) from None
    return img


# --- turning it into a clean, upright sRGB picture ---------------------------------------------


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation. A photo whose EXIF is broken is still a photo: keep it as stored."""
    try:
        return ImageOps.exif_transpose(img)
    except Exception:
        log.info("photo: EXIF orientation could not be applied", exc_info=True)
        return img


def _clean_rgb(img: Image.Image) -> Image.Image:
    """An RGB image in sRGB, transparency flattened on white, with an empty info dict."""
    icc = img.info.get("icc_profile")
    if img.mode.startswith("I"):  # 16-bit greyscale PNG: scale to 8 bits (a plain convert would clip to white)
        img = img.convert("I").point(lambda v: v / 256).convert("L")
        img.info.pop("transparency", None)  # a 16-bit value; rare enough to drop rather than rescale
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        img = Image.new("RGB", rgba.size, (255, 255, 255))
        img.paste(rgba, mask=rgba.getchannel("A"))
    elif img.mode not in ("RGB", "CMYK", "L"):
        img = img.convert("RGB")
    if icc:
        img = _to_srgb(img, icc) or img
    if img.mode != "RGB":
        img = img.convert("RGB")
    # A fresh image: nothing from the original's info (exif, xmp, comment, icc_profile) can reach the encoder.
    clean = Image.new("RGB", img.size)
    clean.paste(img)
    return clean


_srgb_profile = None


def _to_srgb(img: Image.Image, icc: bytes) -> Image.Image | None:
    """Convert through the embedded colour profile (Display P3, Adobe RGB, CMYK...) to sRGB, or None."""
    global _srgb_profile
    try:
        from PIL import ImageCms

        if _srgb_profile is None:
            _srgb_profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        return ImageCms.profileToProfile(img, source, _srgb_profile, outputMode="RGB")
    except Exception:  # (no littlecms, a broken profile, a profile not matching the mode)
        log.info("photo: colour profile ignored", exc_info=True)
        return None


def _jpeg(img: Image.Image) -> bytes:
    out = BytesIO()
    img.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


# --- messages ----------------------------------------------------------------------------------


def _not_a_photo(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” is not a photo we can use: choose a JPEG, PNG or WebP image.", name=name), field=FIELD
    )


def _too_large(name: str, limit: int) -> ValidationError:
    mb = format_decimal(limit / (1024 * 1024), format="#,##0.#")
    return ValidationError(_("“%(name)s” is too large (over %(mb)s MB).", name=name, mb=mb), field=FIELD)


def _unreadable(name: str) -> ValidationError:
    return ValidationError(_("“%(name)s” could not be read; it may be damaged.", name=name), field=FIELD)


def _too_many_pixels(name: str) -> ValidationError:
    return ValidationError(
        _("“%(name)s” has too many pixels: choose a smaller image or resize it.", name=name), field=FIELD
    )
