"""Unpublished images stay unpublished, and no picture tells where it was taken (issue 10,
defect 1).

The image API lists only images that live, public pages use (and the logo), with a
rendition and no link to the original; originals and renditions lose EXIF GPS, camera make,
model and serial, maker notes, XMP, IPTC and comments, and keep the orientation and the
credit. The JPEGs here are made with Pillow and carry all of that.
"""

import io
import re
import struct

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags
from PIL import Image as PillowImage
from wagtail.images.models import Image
from wagtail.models import Collection, PageViewRestriction

from masthead.core.models import SiteSettings
from tests.publishing.factories import (
    make_article,
    make_author,
    make_image,
    make_site_tree,
)

GPS_LATITUDE = (51.0, 30.0, 26.0)
SERIAL = "CAM-SERIAL-0042"
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
    b'exif:GPSLatitude="51,30.43N" tiff:Model="Witness phone"/></rdf:RDF></x:xmpmeta>'
)
COMMENT = b"Taken outside the source's flat"


def camera_exif(orientation=6):
    """EXIF as a phone writes it: where, with what, by whom."""
    exif = PillowImage.Exif()
    exif[ExifTags.Base.Make] = "Acme"
    exif[ExifTags.Base.Model] = "Witness phone"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Copyright] = "Jo Snapper / Masthead"
    exif[ExifTags.Base.Artist] = "Jo Snapper"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    details = exif.get_ifd(ExifTags.IFD.Exif)
    details[ExifTags.Base.BodySerialNumber] = SERIAL
    details[ExifTags.Base.LensSerialNumber] = "LENS-7731"
    details[ExifTags.Base.MakerNote] = b"Acme maker note: owner Jo, phone +44 7700 900123"
    return exif


def pixels(width=96, height=64):
    picture = PillowImage.new("RGB", (width, height), (30, 80, 160))
    picture.paste((220, 40, 40), (0, 0, width // 3, height))
    return picture


def camera_file(image_format="JPEG", exif=None, width=96, height=64):
    """A picture file as it comes off a phone: EXIF with GPS and serials, XMP, a comment."""
    buffer = io.BytesIO()
    options = {"exif": exif or camera_exif(), "xmp": XMP}
    if image_format == "JPEG":
        options.update(comment=COMMENT, quality=90)
    pixels(width, height).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def with_iptc(jpeg, byline, copyright_notice):
    """``jpeg`` with a Photoshop APP13 segment holding IPTC by-line, city and copyright."""
    datasets = b"".join(
        b"\x1c" + bytes([2, dataset]) + struct.pack(">H", len(value)) + value
        for dataset, value in ((80, byline), (90, b"Sheffield"), (116, copyright_notice))
    )
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(datasets)) + datasets
    if len(datasets) % 2:
        resource += b"\x00"
    payload = b"Photoshop 3.0\x00" + resource
    segment = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def stored_bytes(file_field):
    with default_storage.open(file_field.name, "rb") as stored:
        return stored.read()


def assert_no_location_or_device(data):
    picture = PillowImage.open(io.BytesIO(data))
    exif = picture.getexif()
    assert dict(exif.get_ifd(ExifTags.IFD.GPSInfo)) == {}
    assert dict(exif.get_ifd(ExifTags.IFD.Exif)) == {}
    assert ExifTags.Base.Make not in exif
    assert ExifTags.Base.Model not in exif
    for secret in (SERIAL.encode(), b"LENS-7731", b"Witness phone", b"Acme", b"GPS", COMMENT):
        assert secret not in data
    assert b"xmpmeta" not in data
    assert b"Sheffield" not in data
    return picture


def upload(client, name, content, content_type):
    return client.post(
        reverse("wagtailimages:add"),
        {
            "title": "From the protest",
            "collection": Collection.get_first_root_node().pk,
            "tags": "",
            "file": SimpleUploadedFile(name, content, content_type=content_type),
        },
    )


@pytest.mark.django_db
def test_an_uploaded_jpeg_keeps_orientation_credit_and_pixels_but_not_place_or_camera(
    admin_client,
):
    original = camera_file("JPEG")

    response = upload(admin_client, "IMG_2041.jpg", original, "image/jpeg")

    assert response.status_code == 302
    image = Image.objects.get()
    stored = stored_bytes(image.file)
    picture = assert_no_location_or_device(stored)
    assert dict(picture.getexif()) == {
        ExifTags.Base.Orientation: 6,
        ExifTags.Base.Artist: "Jo Snapper",
        ExifTags.Base.Copyright: "Jo Snapper / Masthead",
    }
    # Not re-encoded: the same pixels, bit for bit.
    assert picture.tobytes() == PillowImage.open(io.BytesIO(original)).tobytes()
    assert image.file_size == len(stored)
    assert (image.width, image.height) == (96, 64)


@pytest.mark.django_db
@pytest.mark.parametrize(("image_format", "name"), [("PNG", "map.png"), ("WEBP", "scene.webp")])
def test_uploaded_png_and_webp_lose_place_and_camera(admin_client, image_format, name):
    original = camera_file(image_format)

    response = upload(admin_client, name, original, f"image/{image_format.lower()}")

    assert response.status_code == 302
    picture = assert_no_location_or_device(stored_bytes(Image.objects.get().file))
    assert picture.getexif()[ExifTags.Base.Copyright] == "Jo Snapper / Masthead"
    assert picture.getexif()[ExifTags.Base.Orientation] == 6
    decoded = PillowImage.open(io.BytesIO(original)).convert("RGB").tobytes()
    assert picture.convert("RGB").tobytes() == decoded


@pytest.mark.django_db
def test_an_iptc_credit_becomes_the_exif_credit_and_its_place_is_dropped(admin_client):
    bare = PillowImage.Exif()
    bare[ExifTags.Base.Make] = "Acme"
    original = with_iptc(camera_file("JPEG", exif=bare), b"Sam Lens", b"(c) Sam Lens 2025")
    assert b"Sheffield" in original

    upload(admin_client, "river.jpg", original, "image/jpeg")

    picture = assert_no_location_or_device(stored_bytes(Image.objects.get().file))
    assert dict(picture.getexif()) == {
        ExifTags.Base.Artist: "Sam Lens",
        ExifTags.Base.Copyright: "(c) Sam Lens 2025",
    }


@pytest.mark.django_db
def test_originals_and_their_renditions_have_names_nobody_can_guess(admin_client):
    upload(admin_client, "IMG_2041.jpg", camera_file("JPEG"), "image/jpeg")
    image = Image.objects.get()

    rendition = image.get_rendition("width-40")

    assert re.fullmatch(r"original_images/[0-9a-f]{16}-IMG_2041\.jpg", image.file.name)
    assert re.fullmatch(r"images/[0-9a-f]{16}-IMG_2041\.width-40\.jpg", rendition.file.name)


@pytest.mark.django_db
def test_renditions_of_a_picture_stored_before_the_cleaning_lose_place_and_camera():
    image = make_image("Uploaded last year", width=96, height=64)
    # As a file uploaded before metadata was stripped: written to storage directly.
    default_storage.delete(image.file.name)
    default_storage.save(image.file.name, io.BytesIO(camera_file("JPEG")))
    assert b"CAM-SERIAL" in stored_bytes(image.file)

    single = image.get_rendition("width-48")
    several = image.get_renditions("width-32", "fill-20x20")

    for rendition in [single, *several.values()]:
        picture = assert_no_location_or_device(stored_bytes(rendition.file))
        # Wagtail turned the pixels upright, so the orientation tag has gone; the credit stays.
        assert dict(picture.getexif()) == {
            ExifTags.Base.Artist: "Jo Snapper",
            ExifTags.Base.Copyright: "Jo Snapper / Masthead",
        }
    assert (single.width, single.height) == (48, 72)


@pytest.fixture
def newsroom():
    tree = make_site_tree()
    portrait = make_image("Portrait of the reporter")
    writer = make_author(tree.author_index, name="Nell Barraclough", photo=portrait)
    hero = make_image("Harbour at dawn")
    in_body = make_image("Crane on the quay")
    live = make_article(
        tree.section,
        [writer],
        title="Harbour dredging starts",
        hero_image=hero,
        body=[
            ("paragraph", "<p>Boats use the east channel.</p>"),
            ("image", {"image": in_body, "alt_text": "", "caption": "", "credit": ""}),
        ],
    )
    return tree, writer, live, {"portrait": portrait, "hero": hero, "in_body": in_body}


@pytest.mark.django_db
def test_image_api_lists_only_images_of_live_public_pages_and_the_logo(client, newsroom):
    tree, writer, live, shown = newsroom
    logo = make_image("Masthead logo")
    SiteSettings.objects.update_or_create(site=tree.site, defaults={"logo": logo})
    embargoed = make_image("Minister resigns: embargoed")
    draft = make_article(tree.section, [writer], title="Embargoed story", hero_image=embargoed)
    draft.unpublish()
    for_staff = make_image("Staff party")
    private = make_article(tree.section, [writer], title="Staff memo", hero_image=for_staff)
    PageViewRestriction.objects.create(page=private, restriction_type="login")
    unused = make_image("Not used anywhere")
    # A draft change to the live article: its new picture is not live yet.
    next_hero = make_image("Tomorrow's hero")
    live.hero_image = next_hero
    live.save_revision()

    response = client.get("/api/v2/images/", {"limit": 50})

    assert response.status_code == 200
    listed = {item["title"] for item in response.json()["items"]}
    assert listed == {image.title for image in [*shown.values(), logo]}
    for hidden in (embargoed, for_staff, unused, next_hero):
        assert client.get(f"/api/v2/images/{hidden.pk}/").status_code == 404
    assert client.get(f"/api/v2/images/{shown['in_body'].pk}/").status_code == 200


@pytest.mark.django_db
def test_image_api_gives_a_rendition_and_no_way_to_the_original(client, newsroom):
    _tree, _writer, _live, shown = newsroom

    listing = client.get("/api/v2/images/")
    detail = client.get(f"/api/v2/images/{shown['hero'].pk}/")

    assert listing.status_code == 200
    assert detail.status_code == 200
    for response in (listing, detail):
        assert b"original_images" not in response.content
        assert b"download_url" not in response.content
    data = detail.json()
    assert set(data) == {"id", "meta", "title", "width", "height", "rendition"}
    assert re.fullmatch(
        r"/media/images/[0-9a-f]{16}-harbour-at-dawn\.max-1600x1600\.png",
        (data["rendition"]["url"]),
    )
    assert (data["rendition"]["width"], data["rendition"]["height"]) == (1200, 800)
    asked = client.get("/api/v2/images/", {"fields": "download_url"})
    assert asked.status_code == 400
    assert asked.json()["message"] == "unknown fields: download_url"
