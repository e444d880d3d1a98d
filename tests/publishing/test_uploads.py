"""Images uploaded through the Wagtail admin are checked for type, size and pixel count
before anything is stored."""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Collection


def png_bytes(width=64, height=48):
    buffer = io.BytesIO()
    PillowImage.new("RGB", (width, height), (200, 60, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunk(kind, data):
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def huge_blank_png(width, height):
    """A real 1-bit greyscale PNG of ``width`` x ``height`` pixels that is only a few
    kilobytes on disk: every row is blank, so it compresses to almost nothing."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def upload(client, name, content, content_type="image/png"):
    return client.post(
        reverse("wagtailimages:add"),
        {
            "title": "Uploaded picture",
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
            "file": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )


@pytest.mark.django_db
def test_a_real_png_is_accepted_and_stored(admin_client):
    response = upload(admin_client, "harbour.png", png_bytes(640, 480))

    assert response.status_code == 302
    image = Image.objects.get()
    assert image.title == "Uploaded picture"
    assert (image.width, image.height) == (640, 480)


REFUSED_UPLOADS = [
    (
        "text file named .png",
        "notes.png",
        b"These are my notes, not a picture.\n" * 20,
        "Upload a valid image.",
    ),
    (
        "svg",
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
        "Not a supported image format. Supported formats: GIF, JPG, JPEG, PNG, WEBP.",
    ),
    (
        "exe",
        "setup.exe",
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200,
        "Upload a valid image.",
    ),
    (
        "real picture named .exe",
        "picture.exe",
        png_bytes(),
        "Not a supported image format. Supported formats: GIF, JPG, JPEG, PNG, WEBP.",
    ),
    (
        "png pretending to be a jpeg",
        "photo.jpg",
        png_bytes(),
        "Not a valid .jpeg image. The extension does not match the file format (png)",
    ),
    (
        "over the size limit",
        "large.png",
        png_bytes() + b"\x00" * (15 * 1024 * 1024 + 1),
        "This file is too big",
    ),
    (
        "decompression bomb",
        "bomb.png",
        huge_blank_png(20_000, 20_000),
        "This file has too many pixels",
    ),
    (
        "over our pixel limit but under Pillow's",
        "wide.png",
        huge_blank_png(9_000, 9_000),
        "This file has too many pixels (81000000). Maximum pixels 64000000.",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "message"),
    [case[1:] for case in REFUSED_UPLOADS],
    ids=[case[0] for case in REFUSED_UPLOADS],
)
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_stored(
    admin_client, name, content, message
):
    response = upload(admin_client, name, content)

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert message in response.content.decode()
    assert Image.objects.count() == 0


def test_the_bomb_really_is_a_bomb():
    image = PillowImage.open(io.BytesIO(huge_blank_png(9_000, 9_000)))

    assert image.size == (9_000, 9_000)
    assert len(huge_blank_png(20_000, 20_000)) < 200_000
