"""Helpers for the WordPress importer's tests: the site's tree and an uploads folder of
pictures made with Pillow (no binary files in the repository)."""

import io
from pathlib import Path

import pytest
from PIL import Image as PillowImage

FIXTURES = Path(__file__).parent / "fixtures"
WORDPRESS = FIXTURES / "wordpress"
GPS_IFD = 0x8825


def jpeg_bytes(size=(80, 60), colour=(30, 90, 150), with_location=False):
    picture = PillowImage.new("RGB", size, colour)
    buffer = io.BytesIO()
    options = {}
    if with_location:
        exif = PillowImage.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 9"  # Model
        exif.get_ifd(GPS_IFD)[2] = (51.0, 30.0, 0.0)  # GPSLatitude
        options["exif"] = exif.tobytes()
    picture.save(buffer, format="JPEG", quality=80, **options)
    return buffer.getvalue()


def png_bytes(size=(90, 60), colour=(200, 120, 40)):
    buffer = io.BytesIO()
    PillowImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def wp_uploads(tmp_path):
    """A copy of the old site's wp-content/uploads: the two pictures site.xml names (the
    ferry with a GPS position in its EXIF), and no 'missing.jpg'."""
    folder = tmp_path / "uploads"
    (folder / "2021" / "03").mkdir(parents=True)
    (folder / "2021" / "03" / "ferry.jpg").write_bytes(jpeg_bytes(with_location=True))
    (folder / "2021" / "03" / "market.png").write_bytes(png_bytes())
    return folder
