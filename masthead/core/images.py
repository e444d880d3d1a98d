"""Pictures keep no location or device metadata, and are stored under names nobody guesses.

Phones and cameras write into every photo where it was taken (EXIF GPS), the camera's
make, model and serial number, maker notes, and often the same again as XMP or IPTC. A
newsroom that published that would give away its photographers and its sources, so:

- every original is cleaned as it is saved (``clean_uploaded_image``, a ``pre_save``
  receiver on Wagtail's image model, connected in ``core.wiring``), whatever saved it: the
  admin's uploads, choosers and file replacement, the demo, code;
- every rendition is cleaned as it is written (``MetadataFreeStorage``, Wagtail's
  ``WAGTAILIMAGES_RENDITION_STORAGE``): Willow copies the original's EXIF into each
  rendition it encodes, so renditions of originals uploaded before this cleaning existed
  would otherwise carry it on to readers.

What is kept: the orientation tag (so nothing turns on its side) and the credit, as EXIF
Artist and Copyright, taken from IPTC by-line, credit and copyright notice or from a PNG's
Author and Copyright text when EXIF has none. The ICC colour profile is kept too. The
pixels are never re-encoded: JPEG, PNG and WebP files are rewritten segment by segment.
GIFs carry no EXIF and are stored as they are.

Each original is also renamed to start with 16 random hex digits. Wagtail names renditions
after their original, so without this a rendition of a picture nobody was meant to see yet
(an admin thumbnail of an embargoed photo, say) could be found by guessing its camera's
file name.
"""

import io
import os
import secrets
import struct
import zlib
from functools import lru_cache

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, default_storage, storages
from django.core.signals import setting_changed
from django.utils.deconstruct import deconstructible
from PIL import ExifTags, IptcImagePlugin, UnidentifiedImageError
from PIL import Image as PillowImage

ORIENTATION = ExifTags.Base.Orientation
ARTIST = ExifTags.Base.Artist
COPYRIGHT = ExifTags.Base.Copyright
KEPT_EXIF_TAGS = (ORIENTATION, ARTIST, COPYRIGHT)
# IPTC datasets (record 2) that hold the credit: by-line, credit line, copyright notice.
IPTC_BYLINE = (2, 80)
IPTC_CREDIT = (2, 110)
IPTC_COPYRIGHT = (2, 116)
EXIF_PREFIX = b"Exif\x00\x00"
NAME_TOKEN_HEX_DIGITS = 16
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp", ".gif"})

# JPEG markers: those without a length, application segments kept for decoding (the JFIF
# header, ICC profile, Adobe colour transform), and those that end the header or the image.
JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
JPEG_APP0, JPEG_APP2, JPEG_APP14, JPEG_APP15 = 0xE0, 0xE2, 0xEE, 0xEF
JPEG_COMMENT, JPEG_START_OF_SCAN, JPEG_END = 0xFE, 0xDA, 0xD9
# PNG chunks that say how to draw the pixels (everything else, text and EXIF included, goes).
PNG_KEPT_CHUNKS = frozenset(
    {
        b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"gAMA", b"cHRM", b"sRGB", b"iCCP",
        b"sBIT", b"bKGD", b"pHYs", b"cICP", b"mDCv", b"cLLi", b"acTL", b"fcTL", b"fdAT",
    }
)  # fmt: skip
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# WebP chunks that make up the picture; VP8X flags say which optional chunks follow.
WEBP_KEPT_CHUNKS = frozenset({b"VP8X", b"ICCP", b"ANIM", b"ANMF", b"ALPH", b"VP8 ", b"VP8L"})
WEBP_FLAG_EXIF, WEBP_FLAG_XMP = 0x08, 0x04


class UnreadableImage(ValueError):
    """The bytes are not the image format they start like."""


def _text(value):
    if isinstance(value, list):
        value = value[0] if value else b""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip("\x00 ")


def kept_exif(picture, credits=None):
    """The EXIF to keep for ``picture`` (an opened Pillow image), as TIFF bytes without the
    ``Exif`` prefix, or None when there is nothing to keep. ``credits`` are fallbacks for
    Artist and Copyright found elsewhere in the file (IPTC, PNG text)."""
    kept = PillowImage.Exif()
    try:
        original = picture.getexif()
        for tag in KEPT_EXIF_TAGS:
            if original.get(tag):
                kept[tag] = original[tag]
    except Exception:  # damaged EXIF is dropped whole, never kept
        kept = PillowImage.Exif()
    for tag, value in (credits or {}).items():
        if value and not kept.get(tag):
            kept[tag] = value
    if not kept:
        return None
    return kept.tobytes().removeprefix(EXIF_PREFIX)


def _iptc_credits(picture):
    try:
        iptc = IptcImagePlugin.getiptcinfo(picture) or {}
    except Exception:  # damaged IPTC is dropped, not read
        return {}
    artist = _text(iptc.get(IPTC_BYLINE, b"")) or _text(iptc.get(IPTC_CREDIT, b""))
    return {ARTIST: artist, COPYRIGHT: _text(iptc.get(IPTC_COPYRIGHT, b""))}


def _entropy_coded_end(data, position):
    """Where the entropy-coded data that starts at ``position`` ends: at the next marker
    that is not a stuffed byte (FF00), a restart marker or fill."""
    while True:
        position = data.find(b"\xff", position)
        if position < 0 or position + 1 >= len(data):
            # A file cut short: its image data runs to the end, with nothing after it.
            return len(data)
        following = data[position + 1]
        if following == 0x00 or following == 0xFF or 0xD0 <= following <= 0xD7:
            position += 1 if following == 0xFF else 2
            continue
        return position


def _keep_jpeg_segment(marker, payload):
    if marker == JPEG_APP0:
        return payload.startswith(b"JFIF\x00")
    if marker == JPEG_APP2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == JPEG_APP14:
        return payload.startswith(b"Adobe")
    return not (0xE0 <= marker <= JPEG_APP15 or marker == JPEG_COMMENT)


def _strip_jpeg(data):
    picture = PillowImage.open(io.BytesIO(data))
    exif = kept_exif(picture, _iptc_credits(picture))
    kept = [b"\xff\xd8"]
    exif_at = 1
    position = 2
    while position < len(data):
        if data[position] != 0xFF or position + 1 >= len(data):
            raise UnreadableImage("JPEG segment does not start with a marker")
        marker = data[position + 1]
        if marker == 0xFF:
            position += 1
            continue
        if marker in JPEG_STANDALONE:
            kept.append(data[position : position + 2])
            position += 2
            continue
        if marker == JPEG_END:
            # Anything after the end of the image (a second, "multi-picture" image with its
            # own EXIF, a phone's motion clip) is dropped with it.
            kept.append(b"\xff\xd9")
            break
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        end = position + 2 + length
        if end > len(data):
            raise UnreadableImage("JPEG segment runs past the end of the file")
        if marker == JPEG_START_OF_SCAN:
            end = _entropy_coded_end(data, end)
            kept.append(data[position:end])
        elif _keep_jpeg_segment(marker, data[position + 4 : end]):
            kept.append(data[position:end])
            if marker == JPEG_APP0 and exif_at == len(kept) - 1:
                exif_at = len(kept)
        position = end
    if exif:
        payload = EXIF_PREFIX + exif
        kept.insert(exif_at, b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    return b"".join(kept)


def _png_chunk(kind, payload):
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _png_text_credits(picture):
    text = getattr(picture, "text", None) or {}
    return {ARTIST: _text(text.get("Author", "")), COPYRIGHT: _text(text.get("Copyright", ""))}


def _strip_png(data):
    picture = PillowImage.open(io.BytesIO(data))
    exif = kept_exif(picture, _png_text_credits(picture))
    kept = [PNG_SIGNATURE]
    position = len(PNG_SIGNATURE)
    while position + 8 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise UnreadableImage("PNG chunk runs past the end of the file")
        if kind == b"IDAT" and exif:
            kept.append(_png_chunk(b"eXIf", exif))
            exif = None
        if kind in PNG_KEPT_CHUNKS:
            kept.append(data[position:end])
        position = end
        if kind == b"IEND":
            break
    return b"".join(kept)


def _strip_webp(data):
    picture = PillowImage.open(io.BytesIO(data))
    exif = kept_exif(picture)
    chunks = []
    position = 12
    while position + 8 <= len(data):
        kind = data[position : position + 4]
        (length,) = struct.unpack("<I", data[position + 4 : position + 8])
        if position + 8 + length > len(data):
            raise UnreadableImage("WebP chunk runs past the end of the file")
        if kind in WEBP_KEPT_CHUNKS:
            chunks.append([kind, bytearray(data[position + 8 : position + 8 + length])])
        position += 8 + length + (length & 1)
    extended = bool(chunks) and chunks[0][0] == b"VP8X"
    if extended:
        flags = chunks[0][1][0] & ~(WEBP_FLAG_EXIF | WEBP_FLAG_XMP)
        if exif:
            flags |= WEBP_FLAG_EXIF
            chunks.append([b"EXIF", bytearray(exif)])
        chunks[0][1][0] = flags
    body = b"".join(
        kind + struct.pack("<I", len(payload)) + bytes(payload) + b"\x00" * (len(payload) & 1)
        for kind, payload in chunks
    )
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def strip_metadata(data):
    """``data`` (an image file's bytes) without location, device or any other metadata but
    the orientation, the credit and the colour profile; other files come back unchanged.

    Raises ``UnreadableImage`` when the file is damaged where it matters.
    """
    try:
        if data.startswith(b"\xff\xd8"):
            return _strip_jpeg(data)
        if data.startswith(PNG_SIGNATURE):
            return _strip_png(data)
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return _strip_webp(data)
    except (UnidentifiedImageError, struct.error, OSError) as error:
        raise UnreadableImage(str(error)) from error
    return data


def unguessable_name(filename):
    """``filename`` with 16 random hex digits in front, so that neither it nor the
    renditions Wagtail names after it can be guessed."""
    return f"{secrets.token_hex(NAME_TOKEN_HEX_DIGITS // 2)}-{os.path.basename(filename)}"


def clean_uploaded_image(sender, instance, raw=False, **kwargs):
    """Before an image with a new file is saved, strip the file's metadata and give it an
    unguessable name (a ``pre_save`` receiver for Wagtail's image model)."""
    if raw or not instance.file or instance.file._committed:
        return
    upload = instance.file
    upload.open("rb")
    upload.seek(0)
    try:
        cleaned = strip_metadata(upload.read())
    except UnreadableImage:
        # Wagtail's form has already read the picture; a file it accepts but we cannot walk
        # is stored with no metadata at all, by Pillow writing its pixels afresh.
        upload.seek(0)
        cleaned = _reencoded(upload)
    instance.file = ContentFile(cleaned, name=unguessable_name(upload.name))
    instance.file_size = len(cleaned)


def _reencoded(upload):
    picture = PillowImage.open(upload)
    picture.load()
    output = io.BytesIO()
    exif = kept_exif(picture)
    options = {"exif": EXIF_PREFIX + exif} if exif else {}
    if picture.format == "JPEG":
        options["quality"] = "keep"
    picture.save(output, format=picture.format, **options)
    return output.getvalue()


@lru_cache(maxsize=20_000)
def _local_url(name):
    return default_storage.url(name)


def _forget_local_urls(setting, **kwargs):
    if setting in ("MEDIA_URL", "MEDIA_ROOT", "STORAGES"):
        _local_url.cache_clear()


setting_changed.connect(_forget_local_urls)


@deconstructible(path="masthead.core.images.MetadataFreeStorage")
class MetadataFreeStorage(Storage):
    """The default storage, with metadata stripped from every image written through it.

    Wagtail writes renditions here (``WAGTAILIMAGES_RENDITION_STORAGE``); everything else
    (reading, URLs, deleting) is the default storage's own.
    """

    def save(self, name, content, max_length=None):
        if os.path.splitext(name or "")[1].lower() in IMAGE_EXTENSIONS:
            content.seek(0)
            content = ContentFile(strip_metadata(content.read()))
        return default_storage.save(name, content, max_length=max_length)

    def open(self, name, mode="rb"):
        return default_storage.open(name, mode)

    def delete(self, name):
        return default_storage.delete(name)

    def exists(self, name):
        return default_storage.exists(name)

    def listdir(self, path):
        return default_storage.listdir(path)

    def size(self, name):
        return default_storage.size(name)

    def url(self, name):
        # A rendition's file never changes under its name, and on local media its address
        # is the name under MEDIA_URL: worked out once (a listing's pictures ask for each
        # address two or three times on every render). Other storages (S3, whose addresses
        # may be signed and expire) are asked each time.
        if type(storages["default"]) is FileSystemStorage:
            return _local_url(name)
        return default_storage.url(name)

    def path(self, name):
        return default_storage.path(name)

    def get_valid_name(self, name):
        return default_storage.get_valid_name(name)

    def get_alternative_name(self, file_root, file_ext):
        return default_storage.get_alternative_name(file_root, file_ext)

    def get_available_name(self, name, max_length=None):
        return default_storage.get_available_name(name, max_length=max_length)

    def generate_filename(self, filename):
        return default_storage.generate_filename(filename)

    def get_accessed_time(self, name):
        return default_storage.get_accessed_time(name)

    def get_created_time(self, name):
        return default_storage.get_created_time(name)

    def get_modified_time(self, name):
        return default_storage.get_modified_time(name)
