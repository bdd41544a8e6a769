"""Members' photos: from an untrusted upload to small square thumbnails on disk.

An upload is judged by its content, never by its file name or the browser's content type:
Pillow must recognise it as JPEG, PNG, WebP or GIF (the first frame). Before any pixel is
decoded, the file's size and the pixel count to be decoded are checked (from the header; a
JPEG is decoded at up to 1/8 scale), so a "decompression bomb" (a few kilobytes that would
unpack into gigabytes) is refused cheaply.
The picture is then turned upright (EXIF orientation), converted to sRGB, cropped to its
centre square and written as WebP thumbnails in `SIZES`. Nothing of the original file is
kept: no EXIF (camera, GPS position, time), no XMP, no ICC profile, no comments.

Files live under MEDIA_ROOT/photos/<member id>/<key>-<size>.webp, where the key is a hash of
the content: a new photo is a new file name and URL, so browsers may cache one for ever. The
member's row holds the key (Member.photo); the services decide when files are written and
deleted (org.services.update_profile), this module only makes and handles them.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from PIL import Image, ImageCms, ImageOps

from socialfabric.errors import InvalidInput

# Thumbnail edges in pixels: small avatars (lists, replies), feed avatars, the profile page.
# Each is about twice its CSS size, for high-density screens.
SIZES = (64, 128, 256)
SMALL, MEDIUM, LARGE = SIZES
CONTENT_TYPE = "image/webp"
EXTENSION = "webp"
# How the web page and the API serve a thumbnail: its address changes with its content, so it
# may be kept a year unasked ("immutable"), by the browser only ("private": access is checked).
CACHE_CONTROL = "private, max-age=31536000, immutable"
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
KEY_CHARS = 20
_KEY = re.compile(rf"[0-9a-f]{{{KEY_CHARS}}}")
_QUALITY = 82
FIELD = "photo"
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@dataclass(frozen=True)
class Thumbnails:
    """A processed photo: its key and the WebP bytes of each size."""

    key: str
    files: dict[int, bytes]


def is_key(value: object) -> bool:
    return isinstance(value, str) and bool(_KEY.fullmatch(value))


def folder(member_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "photos" / str(int(member_id))


def path(member_id: int, key: str, size: int) -> Path:
    """Where one thumbnail lives. Only ever built from a member's id and a checked key."""
    if not is_key(key) or size not in SIZES:
        raise ValueError("not a photo key or size")
    return folder(member_id) / f"{key}-{size}.{EXTENSION}"


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD)


def _read(upload: object) -> bytes:
    """The upload's bytes, refusing a file over the size limit without reading all of it."""
    limit = settings.SOCIALFABRIC_PHOTO_MAX_BYTES
    too_big = _refuse(f"The photo is larger than {limit / 1024 / 1024:g} MB; choose a smaller one.")
    if isinstance(upload, bytes):
        data = upload
    elif hasattr(upload, "read"):
        declared = getattr(upload, "size", None)
        if isinstance(declared, int) and declared > limit:
            raise too_big
        if hasattr(upload, "seek"):
            upload.seek(0)
        data = upload.read(limit + 1)
    else:
        raise _refuse("Choose a photo to upload.")
    if not isinstance(data, bytes):
        raise _refuse("Choose a photo to upload.")
    if len(data) > limit:
        raise too_big
    if not data:
        raise _refuse("The photo file is empty.")
    return data


def _open(data: bytes) -> Image.Image:
    """Recognise the format from the content and check the claimed dimensions, decoding nothing yet."""
    not_image = _refuse("This file is not a photo we can use: upload a JPEG, PNG, WebP or GIF image.")
    try:
        image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many kinds of error for files it cannot parse
        raise not_image from None
    if image.format not in (*ACCEPTED_FORMATS, "MPO"):  # MPO: a JPEG with extra frames (phones)
        raise not_image
    if image.size[0] < 1 or image.size[1] < 1:
        raise not_image
    if image.format in ("JPEG", "MPO"):
        # The JPEG decoder can scale down by up to 8 while decoding: far less memory and time
        # for a large camera photo, and still at least twice the largest thumbnail. The size
        # becomes the one that will be decoded, which is what the limit is about.
        image.draft("RGB", (LARGE * 2, LARGE * 2))
    width, height = image.size
    if width * height > settings.SOCIALFABRIC_PHOTO_MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> InvalidInput:
    mp = settings.SOCIALFABRIC_PHOTO_MAX_PIXELS / 1_000_000
    return _refuse(f"The photo has too many pixels (at most {mp:g} megapixels); choose a smaller one.")


def _decode(image: Image.Image) -> Image.Image:
    """Decode the first frame, upright, in RGB or RGBA."""
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
        has_alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        return _to_srgb(upright, "RGBA" if has_alpha else "RGB")
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:  # truncated or corrupt data, odd EXIF or pixel modes: each fails in its own way
        raise _refuse("The photo could not be read: the file is damaged or incomplete.") from None


def _to_srgb(image: Image.Image, mode: str) -> Image.Image:
    """Colours as the browser will show them: convert from the photo's ICC profile (a phone's
    Display P3, say) to sRGB; the profile itself is not kept. A broken profile is ignored."""
    icc = image.info.get("icc_profile")
    converted = image.convert(mode)
    if icc and image.mode in ("RGB", "RGBA"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(converted, source, _SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass
    return converted


to_srgb = _to_srgb  # attachments' images are converted the same way


def _square(image: Image.Image) -> Image.Image:
    """The centre square of the picture, at the largest thumbnail size."""
    width, height = image.size
    edge = min(width, height)
    left, top = (width - edge) // 2, (height - edge) // 2
    square = image.crop((left, top, left + edge, top + edge))
    return square.resize((LARGE, LARGE), Image.Resampling.LANCZOS, reducing_gap=3.0)


def pixels_only(image: Image.Image) -> Image.Image:
    """A fresh image with no `info` (no exif, icc, xmp or comments): nothing but pixels."""
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    return clean


def _webp(image: Image.Image) -> bytes:
    clean = pixels_only(image)  # and no exif/icc/xmp given to the encoder
    out = io.BytesIO()
    clean.save(out, format="WEBP", quality=_QUALITY, method=4)
    return out.getvalue()


def make_thumbnails(upload: object) -> Thumbnails:
    """Check an uploaded photo and make its thumbnails; InvalidInput (field "photo") with a
    message for the member when the file is not one we accept. Writes nothing."""
    image = _open(_read(upload))
    try:
        square = _square(_decode(image))
    finally:
        image.close()
    files = {LARGE: _webp(square)}
    for size in SIZES:
        if size != LARGE:
            files[size] = _webp(square.resize((size, size), Image.Resampling.LANCZOS))
    key = hashlib.sha256(files[LARGE]).hexdigest()[:KEY_CHARS]
    return Thumbnails(key=key, files=files)


def store(member_id: int, thumbnails: Thumbnails) -> None:
    """Write the thumbnails; each file appears whole or not at all (written aside, then renamed)."""
    target = folder(member_id)
    target.mkdir(parents=True, exist_ok=True)
    for size, data in thumbnails.files.items():
        fd, temporary = tempfile.mkstemp(dir=target, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temporary, path(member_id, thumbnails.key, size))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


def delete(member_id: int, key: str) -> None:
    """Remove a photo's thumbnails (those already gone are skipped)."""
    if not is_key(key):
        return
    for size in SIZES:
        path(member_id, key, size).unlink(missing_ok=True)


def open_thumbnail(member_id: int, key: str, size: int) -> BinaryIO | None:
    """The thumbnail file opened for reading, or None when it is not there."""
    try:
        return path(member_id, key, size).open("rb")
    except (ValueError, OSError):
        return None
