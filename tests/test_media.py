"""Photo uploads: only real JPEG/PNG/WebP photos get in, they come out upright and without metadata
(no GPS), within the size limits; files are stored under random keys and served with long caching."""

from __future__ import annotations

import re
import struct
import warnings
import zlib
from io import BytesIO

import pytest
from PIL import Image, ImageCms
from werkzeug.datastructures import FileStorage

from civic.database import unit_of_work
from civic.errors import NotFound, ValidationError
from civic.media import bp, storage
from civic.media.images import process_upload
from civic.media.views import url_for_photo

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F
RED, BLUE, WHITE = (220, 20, 20), (20, 20, 220), (255, 255, 255)


# --- helpers -----------------------------------------------------------------------------------


def upload(data: bytes, filename: str = "photo.jpg", content_type: str = "image/jpeg") -> FileStorage:
    return FileStorage(stream=BytesIO(data), filename=filename, content_type=content_type)


def encode(img: Image.Image, fmt: str, **params) -> bytes:
    out = BytesIO()
    img.save(out, fmt, **params)
    return out.getvalue()


def two_halves(size=(1200, 800)) -> Image.Image:
    """Left half red, right half blue: shows which way the picture was turned."""
    img = Image.new("RGB", size, BLUE)
    img.paste(RED, (0, 0, size[0] // 2, size[1]))
    return img


def close_to(pixel, colour, tolerance=40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour, strict=False))  # RGB against RGBA compares RGB


def decoded(data: bytes) -> Image.Image:
    img = Image.open(BytesIO(data))
    img.load()
    return img


def process(app, data: bytes, filename: str = "photo.jpg"):
    with app.test_request_context(), unit_of_work():
        return process_upload(upload(data, filename))


def refused(app, data: bytes, filename: str = "photo.jpg") -> str:
    with app.test_request_context(), unit_of_work(), pytest.raises(ValidationError) as info:
        process_upload(upload(data, filename))
    assert info.value.field == "photos"
    return info.value.message


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size without holding the pixels: what a decompression bomb looks like to open()."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


# --- metadata and orientation ------------------------------------------------------------------


def test_jpeg_with_gps_comes_out_upright_and_without_any_metadata(app):
    exif = Image.Exif()
    exif[ORIENTATION] = 6  # stored sideways: display turned 90° clockwise
    exif[MAKE] = "SecretCam"
    exif[GPS_IFD] = {1: "N", 2: (39.0, 57.0, 8.0), 3: "W", 4: (75.0, 9.0, 51.0)}
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    original = encode(two_halves((1200, 800)), "JPEG", exif=exif, comment=b"secret comment", icc_profile=srgb)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">secret-xmp-location</x:xmpmeta>'
    segment = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    original = original[:2] + b"\xff\xe1" + struct.pack(">H", len(segment) + 2) + segment + original[2:]
    source = decoded(original)  # the input really carries what must be removed
    assert source.getexif().get_ifd(GPS_IFD)[1] == "N" and "icc_profile" in source.info and b"secret-xmp" in original

    result = process(app, original)

    out = decoded(result.full)
    assert out.format == "JPEG" and out.mode == "RGB" and result.content_type == "image/jpeg"
    assert len(out.getexif()) == 0 and b"Exif" not in result.full
    for secret in (b"SecretCam", b"secret comment", b"secret-xmp", b"http://ns.adobe.com/xap"):
        assert secret not in result.full and secret not in result.thumb
    assert not {"exif", "comment", "icc_profile", "xmp"} & set(out.info)
    # orientation applied: 1200x800 stored sideways is 800x1200 upright, the red left half now on top
    assert (result.width, result.height) == out.size == (800, 1200)
    assert close_to(out.getpixel((400, 100)), RED) and close_to(out.getpixel((400, 1100)), BLUE)
    thumb = decoded(result.thumb)
    assert thumb.format == "JPEG" and thumb.size == (267, 400) and b"Exif" not in result.thumb


def test_plain_jpeg_loses_its_comment_too(app):
    original = encode(two_halves((120, 80)), "JPEG", comment=b"taken at 12 Elm Street")
    assert decoded(original).info["comment"] == b"taken at 12 Elm Street"
    result = process(app, original)
    assert b"Elm Street" not in result.full and "comment" not in decoded(result.full).info


def test_broken_colour_profile_is_ignored_not_fatal(app):
    original = encode(two_halves((120, 80)), "JPEG", icc_profile=b"not a real ICC profile" * 10)
    assert "icc_profile" in decoded(original).info
    result = process(app, original)
    out = decoded(result.full)
    assert "icc_profile" not in out.info and close_to(out.getpixel((10, 40)), RED)


def test_png_with_transparency_is_flattened_on_white(app):
    img = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    img.paste((*RED, 255), (100, 50, 200, 150))
    result = process(app, encode(img, "PNG"), "drawing.png")
    out = decoded(result.full)
    assert out.format == "JPEG" and out.mode == "RGB" and out.size == (300, 200)
    assert close_to(out.getpixel((5, 5)), WHITE, 5) and close_to(out.getpixel((150, 100)), RED)


def test_palette_png_with_transparent_index_is_flattened_on_white(app):
    img = Image.new("P", (50, 50), 0)
    img.putpalette([0, 0, 0, *RED] + [0] * 762)
    img.paste(1, (20, 20, 30, 30))
    result = process(app, encode(img, "PNG", transparency=0), "icon.png")
    out = decoded(result.full)
    assert close_to(out.getpixel((2, 2)), WHITE, 5) and close_to(out.getpixel((25, 25)), RED)


def test_webp_is_accepted_and_becomes_jpeg(app):
    result = process(app, encode(two_halves((640, 480)), "WEBP", quality=90), "phone.webp")
    out = decoded(result.full)
    assert out.format == "JPEG" and (result.width, result.height) == (640, 480)
    assert close_to(out.getpixel((10, 240)), RED) and close_to(out.getpixel((630, 240)), BLUE)


def test_phone_mpo_jpeg_is_accepted(app):
    img = two_halves((400, 300))
    data = encode(img, "MPO", save_all=True, append_images=[img.copy()])
    assert Image.open(BytesIO(data)).format == "MPO"  # what Pillow calls many phones' multi-picture JPEGs
    assert decoded(process(app, data).full).format == "JPEG"


def test_sixteen_bit_greyscale_png_keeps_its_tones(app):
    img = Image.new("I;16", (40, 40), 32768)  # mid grey in 16 bits
    out = decoded(process(app, encode(img, "PNG"), "scan.png").full)
    assert close_to(out.getpixel((20, 20)), (128, 128, 128), 6)


# --- what is refused ---------------------------------------------------------------------------

NOT_A_PHOTO = "“photo.jpg” is not a photo we can use: choose a JPEG, PNG or WebP image."


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "PDF", "ICO"])
def test_other_image_formats_renamed_jpg_are_refused(app, fmt):
    data = encode(two_halves((64, 48)), fmt)
    assert refused(app, data, "photo.jpg") == NOT_A_PHOTO


def test_text_file_named_jpg_is_refused_without_echoing_it(app):
    message = refused(app, b"SECRET-CONTENT: this is not a picture\n" * 10, "photo.jpg")
    assert message == NOT_A_PHOTO and "SECRET" not in message


def test_truncated_jpeg_is_refused_as_damaged(app):
    data = encode(Image.effect_noise((800, 600), 60).convert("RGB"), "JPEG")
    assert refused(app, data[: len(data) // 2], "holiday.jpg") == "“holiday.jpg” could not be read; it may be damaged."


def test_truncated_big_jpeg_is_refused_even_when_decoded_at_reduced_scale(make_app):
    app = make_app(PHOTO_MAX_DIMENSION=500)  # libjpeg decodes a 2000x1500 photo at 1/2 scale here
    data = encode(Image.effect_noise((2000, 1500), 60).convert("RGB"), "JPEG")
    assert process(app, data).width == 500  # the reduced-scale path itself works
    assert "could not be read" in refused(app, data[: len(data) // 2])


def test_empty_file_is_refused(app):
    assert refused(app, b"", "photo.jpg") == "“photo.jpg” could not be read; it may be damaged."


def test_file_name_in_messages_is_short_and_stripped_of_control_characters(app):
    message = refused(app, b"not an image", "C:\\Users\\me\\" + "\u202e" + "x" * 200 + "\n.gif")
    name = re.match(r"“(.*)” is not a photo", message).group(1)
    assert len(name) <= 60 and "…" in name and name.endswith("x.gif")
    assert "\u202e" not in name and "\n" not in name and "Users" not in name


def test_file_without_a_name_gets_a_placeholder(app):
    assert refused(app, b"", "") == "“unnamed photo” could not be read; it may be damaged."


def test_size_limit_is_exact_and_only_limit_plus_one_bytes_are_read(make_app):
    data = encode(two_halves((200, 100)), "JPEG")
    assert process(make_app(PHOTO_MAX_BYTES=len(data)), data).width == 200
    message = refused(make_app(PHOTO_MAX_BYTES=len(data) - 1), data)
    assert message.startswith("“photo.jpg” is too large (over ")

    class Endless:  # a stream that never ends: reading it all would hang or exhaust memory
        filename = "endless.jpg"

        def __init__(self):
            self.reads = []

        def read(self, size=-1):
            assert size >= 0, "the whole stream was read"
            self.reads.append(size)
            return b"\xff" * size

    app = make_app(PHOTO_MAX_BYTES=5 * 1024 * 1024)
    stream = Endless()
    with app.test_request_context(), unit_of_work(), pytest.raises(ValidationError) as info:
        process_upload(stream)
    assert info.value.message == "“endless.jpg” is too large (over 5 MB)."
    assert stream.reads == [5 * 1024 * 1024 + 1]


def test_pixel_limit_from_config(make_app):
    app = make_app(PHOTO_MAX_PIXELS=10_000)
    assert process(app, encode(two_halves((100, 100)), "PNG")).width == 100  # exactly at the limit
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = refused(app, encode(two_halves((101, 100)), "PNG"), "big.png")
    assert message == "“big.png” has too many pixels: choose a smaller image or resize it."
    assert caught == []


@pytest.mark.parametrize("side", [10_000, 20_000])  # Pillow warns above ~89 Mpx and raises above twice that
def test_decompression_bombs_are_refused_without_a_warning_escaping(make_app, side):
    app = make_app(PHOTO_MAX_PIXELS=10**12)  # only Pillow's own guard stands in the way
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        message = refused(app, png_header_only(side, side), "bomb.png")
    assert message == "“bomb.png” has too many pixels: choose a smaller image or resize it."
    assert caught == []


def test_default_pixel_limit_refuses_a_bomb_header(app):
    assert "has too many pixels" in refused(app, png_header_only(8000, 6000), "bomb.png")  # 48 Mpx > 40 Mpx


# --- downscaling -------------------------------------------------------------------------------


def test_big_image_is_downscaled_to_the_default_dimension(app):
    result = process(app, encode(two_halves((3000, 1000)), "JPEG"))
    assert (result.width, result.height) == decoded(result.full).size == (2048, 683)
    assert decoded(result.thumb).size == (400, 133)


def test_dimensions_come_from_config(make_app):
    app = make_app(PHOTO_MAX_DIMENSION=500, PHOTO_THUMB_DIMENSION=100)
    result = process(app, encode(two_halves((900, 1600)), "PNG"), "tall.png")
    assert decoded(result.full).size == (281, 500) and decoded(result.thumb).size == (56, 100)


def test_small_image_is_not_enlarged(app):
    result = process(app, encode(two_halves((120, 90)), "JPEG"))
    assert decoded(result.full).size == decoded(result.thumb).size == (120, 90)


# --- storage -----------------------------------------------------------------------------------


@pytest.fixture
def upload_app(make_app, tmp_path):
    return make_app(UPLOAD_DIR=str(tmp_path / "uploads"))


def test_save_writes_under_a_random_fanned_out_key(upload_app, tmp_path):
    with upload_app.app_context(), unit_of_work():
        key = storage.save(b"jpeg bytes")
        other = storage.save(b"other bytes")
        path = storage.path_for(key)
    assert re.fullmatch(r"([0-9a-f]{2})/\1[0-9a-f]{30}\.jpg", key) and key != other
    assert path == tmp_path / "uploads" / key and path.read_bytes() == b"jpeg bytes"
    assert [p.name for p in path.parent.iterdir() if p.name != other.split("/")[1]] == [path.name]  # no temp files


def test_upload_dir_defaults_to_instance_uploads(app):
    with app.app_context(), unit_of_work():
        key = "ab/ab" + "0" * 30 + ".jpg"
        assert str(storage.path_for(key)) == f"{app.instance_path}/uploads/{key}"


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "a/../../b.jpg",
        "ab/../../../etc/passwd.jpg",
        "ab/ab" + "0" * 30 + ".jpg/../../x.jpg",
        "/ab/ab" + "0" * 30 + ".jpg",
        "ab/ab" + "0" * 30 + ".jpg\n",
        "ab/cd" + "0" * 30 + ".jpg",
        "AB/AB" + "0" * 30 + ".jpg",
        "ab/ab0.jpg",
        "ab\\ab" + "0" * 30 + ".jpg",
        "",
    ],
)
def test_path_for_rejects_anything_but_a_key(upload_app, key):
    with upload_app.test_request_context(), unit_of_work(), pytest.raises(NotFound) as info:
        storage.path_for(key)
    assert info.value.message == "That photo was not found."


def test_delete_removes_the_file_and_tolerates_a_missing_one(upload_app):
    with upload_app.app_context(), unit_of_work():
        key = storage.save(b"x")
        storage.delete(key)
        assert not storage.path_for(key).exists()
        storage.delete(key)  # already gone: fine


def test_save_refuses_a_suffix_that_could_escape(upload_app):
    with upload_app.app_context(), unit_of_work(), pytest.raises(ValueError):
        storage.save(b"x", suffix="/../../evil.jpg")


# --- serving -----------------------------------------------------------------------------------


@pytest.fixture
def media_app(upload_app):
    if "media" not in upload_app.blueprints:  # until create_app registers it
        upload_app.register_blueprint(bp)
    return upload_app


def test_saved_photo_is_served_with_long_caching(media_app):
    with media_app.test_request_context(), unit_of_work():
        data = process_upload(upload(encode(two_halves((64, 48)), "PNG"), "a.png")).full
        key = storage.save(data)
        url = url_for_photo(key)
    assert url == f"/media/{key}"
    client = media_app.test_client()
    with client.get(url) as response:  # closing it closes the file, as a WSGI server does
        assert response.status_code == 200 and response.mimetype == "image/jpeg" and response.data == data
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        etag = response.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize(
    "path",
    [
        "/media/ab/ab" + "0" * 30 + ".jpg",  # well formed, never saved
        "/media/../../etc/passwd",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/media/etc/passwd",
        "/media/x.jpg",
    ],
)
def test_unknown_or_malformed_keys_are_404(media_app, path):
    response = media_app.test_client().get(path)
    assert response.status_code == 404
    assert "That photo was not found." in response.get_data(as_text=True)


def test_deleted_photo_is_404_and_other_suffixes_are_not_served(media_app):
    with media_app.app_context(), unit_of_work():
        key = storage.save(b"gone")
        storage.delete(key)
        html_key = storage.save(b"<script>alert(1)</script>", suffix=".html")
    client = media_app.test_client()
    assert client.get(f"/media/{key}").status_code == 404
    assert client.get(f"/media/{html_key}").status_code == 404
