"""From an untrusted upload to a file we are willing to store and serve.

The type is judged from the content, never from the file name or the browser's content type
(`sniff`): Pillow must recognise an image (JPEG, PNG, WebP, GIF), a PDF starts with its
signature, Office and OpenDocument files are ZIP archives with the members their formats
require, plain text is UTF-8 without control bytes. Anything else is refused with the list
of what is accepted. The download name keeps what the member called the file, cleaned of
paths and control characters, with the extension of the type found.

Images are checked for size and pixel count before any pixel is decoded (a "decompression
bomb" is refused cheaply), turned upright, converted to sRGB and stored again without their
metadata (EXIF with camera and GPS position, XMP, comments) — except GIF, kept as sent so that
animations survive (GIF carries no camera metadata). Each image gets a WebP preview at most
PREVIEW pixels on its long edge, shown inline in threads and feeds.

Nothing here writes: `prepare` returns bytes, the services store them.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps

from socialfabric.errors import InvalidInput
from socialfabric.org.photos import pixels_only, to_srgb

FIELD = "attachments"
PREVIEW = 960  # long edge of the inline preview, about twice its largest CSS size
_QUALITY = 88
KEY_CHARS = 24
IMAGE_FORMATS = {"JPEG": ("image/jpeg", "jpg"), "MPO": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"),
                 "WEBP": ("image/webp", "webp"), "GIF": ("image/gif", "gif")}
PDF = ("application/pdf", "pdf")
ZIP = ("application/zip", "zip")
TEXT = ("text/plain", "txt")
# ZIP members that make an archive an Office (OOXML) document.
OOXML = {
    "word/document.xml": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xl/workbook.xml": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/presentation.xml": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
# OpenDocument: the first member is "mimetype", holding one of these.
ODF = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
# Text files keep the extension they came with when it is one of these (a .csv stays a .csv).
TEXT_EXTENSIONS = {"txt", "csv", "md", "log", "json", "xml", "yaml", "yml", "tsv"}
ACCEPTED = ("images (JPEG, PNG, WebP, GIF), PDF, Word, Excel and PowerPoint files, OpenDocument "
            "files, ZIP archives and plain text")
# For the file picker only (the content decides): image types and the accepted extensions.
ACCEPT_ATTRIBUTE = ",".join(["image/jpeg", "image/png", "image/webp", "image/gif", ".pdf", ".docx", ".xlsx",
                             ".pptx", ".odt", ".ods", ".odp", ".zip", *(f".{e}" for e in sorted(TEXT_EXTENSIONS))])
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Prepared:
    """A checked file, ready to store: what it is, its bytes, and an image's preview."""

    name: str
    content_type: str
    extension: str
    data: bytes
    key: str
    width: int | None = None
    height: int | None = None
    preview: bytes | None = None

    @property
    def is_image(self) -> bool:
        return self.preview is not None


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field=FIELD)


def _megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB"


def read(upload: object) -> tuple[str, bytes]:
    """The upload's name and bytes, refusing one over the size limit without reading all of it."""
    limit = settings.SOCIALFABRIC_ATTACHMENT_MAX_BYTES
    name = str(getattr(upload, "name", "") or "file")
    too_big = _refuse(f"“{clean_name(name)}” is larger than {_megabytes(limit)}, the limit for one file.")
    if not hasattr(upload, "read"):
        raise _refuse("Choose a file to attach.")
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise too_big
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    if not isinstance(data, bytes):
        raise _refuse("Choose a file to attach.")
    if len(data) > limit:
        raise too_big
    if not data:
        raise _refuse(f"“{clean_name(name)}” is empty.")
    return name, data


def clean_name(name: str) -> str:
    """What the member called the file, as a safe download name: no folders, no control or
    format characters, at most 120 characters (the extension kept)."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in _CONTROL.sub("", name) if unicodedata.category(ch) not in ("Cf", "Zl", "Zp"))
    name = " ".join(name.split()).strip(" .") or "file"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + "." + ext) if dot and len(ext) <= 10 else name[:120]
    return name


def _named(name: str, extension: str, keep: set[str] | None = None) -> str:
    """The name with the extension of the type found (a .exe that is really a PDF ends in .pdf)."""
    stem, dot, ext = name.rpartition(".")
    if dot and (ext.lower() == extension or (keep and ext.lower() in keep)):
        return name
    return f"{name}.{extension}"


def sniff(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of a non-image file from its bytes, or None when not accepted."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
                if names and names[0] == "mimetype":
                    kind = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                    if kind in ODF:
                        return kind, ODF[kind]
                if "[Content_Types].xml" in names:
                    for member, found in OOXML.items():
                        if member in names:
                            return found
        except (zipfile.BadZipFile, KeyError, OSError, RuntimeError, NotImplementedError, ValueError):
            return None
        return ZIP
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text):  # NUL and other control bytes: a binary file that happens to decode
        return None
    return TEXT


def _image(data: bytes) -> Image.Image | None:
    """The image Pillow recognises in the bytes (not decoded yet), or None for another kind of file."""
    try:
        image = Image.open(io.BytesIO(data), formats=tuple(f for f in IMAGE_FORMATS if f != "MPO"))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:  # Pillow raises many kinds of error for what is not an image
        return None
    if image.format not in IMAGE_FORMATS or image.size[0] < 1 or image.size[1] < 1:
        return None
    if image.size[0] * image.size[1] > settings.SOCIALFABRIC_ATTACHMENT_MAX_PIXELS:
        raise _too_many_pixels()
    return image


def _too_many_pixels() -> InvalidInput:
    mp = settings.SOCIALFABRIC_ATTACHMENT_MAX_PIXELS / 1_000_000
    return _refuse(f"The image has too many pixels (at most {mp:g} megapixels); choose a smaller one.")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, format="JPEG", quality=_QUALITY, optimize=True)
    elif fmt == "PNG":
        image.save(out, format="PNG", optimize=True)
    else:
        image.save(out, format="WEBP", quality=_QUALITY, method=4)
    return out.getvalue()


def _prepare_image(name: str, data: bytes, image: Image.Image) -> Prepared:
    fmt = image.format
    content_type, extension = IMAGE_FORMATS[fmt]
    try:
        image.seek(0)
        image.load()
        upright = ImageOps.exif_transpose(image)
        alpha = upright.mode in ("RGBA", "LA", "PA") or "transparency" in upright.info
        pixels = pixels_only(to_srgb(upright, "RGBA" if alpha and fmt != "JPEG" else "RGB"))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:  # truncated or corrupt data, odd EXIF or pixel modes
        raise _refuse(f"“{clean_name(name)}” could not be read: the image is damaged or incomplete.") from None
    finally:
        image.close()
    stored = data if fmt == "GIF" else _encode(pixels, "JPEG" if fmt == "MPO" else fmt)
    preview = pixels.copy()
    preview.thumbnail((PREVIEW, PREVIEW), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return Prepared(name=_named(clean_name(name), extension, {"jpeg"} if extension == "jpg" else None),
                    content_type=content_type, extension=extension, data=stored,
                    key=hashlib.sha256(stored).hexdigest()[:KEY_CHARS], width=pixels.width,
                    height=pixels.height, preview=_encode(preview, "WEBP"))


def prepare(upload: object) -> Prepared:
    """Check one uploaded file and make what is stored of it; InvalidInput (field
    "attachments") with a message naming the file when it is not one we accept."""
    name, data = read(upload)
    image = _image(data)
    if image is not None:
        return _prepare_image(name, data, image)
    found = sniff(data)
    if found is None:
        raise _refuse(f"“{clean_name(name)}” is not a kind of file we accept. Accepted: {ACCEPTED}.")
    content_type, extension = found
    keep = TEXT_EXTENSIONS if found == TEXT else None
    return Prepared(name=_named(clean_name(name), extension, keep), content_type=content_type,
                    extension=extension, data=data, key=hashlib.sha256(data).hexdigest()[:KEY_CHARS])
