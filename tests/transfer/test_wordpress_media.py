"""Images of the old site (masthead.transfer.media): from the uploads folder or a loopback
web server (downloaded only while no transaction is open), checked with Pillow, imported
once, refused with a reason."""

import functools
import http.server
import io
import shutil
import threading
from pathlib import Path

import pytest
from django.db import connection
from PIL import Image as PillowImage
from wagtail.images.models import Image

from masthead.transfer import media
from masthead.transfer.importing import FetchFirst, Importer, run_import
from masthead.transfer.media import MediaImporter, RefusedImage, check_image
from tests.publishing.factories import make_site_tree
from tests.transfer.conftest import jpeg_bytes, png_bytes
from tests.transfer.test_wordpress import SITE


class _Importer(Importer):
    source = "wordpress"


@pytest.fixture
def web_folder(tmp_path):
    """A loopback web server over a folder laid out like a WordPress site."""
    root = tmp_path / "web"
    uploads = root / "wp-content" / "uploads" / "2022" / "01"
    uploads.mkdir(parents=True)
    (uploads / "bridge.jpg").write_bytes(jpeg_bytes())
    (uploads / "notes.jpg").write_bytes(b"this is not a picture at all")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", root
    server.shutdown()
    server.server_close()


def downloaded(media, url, **kwargs):
    """``media.image_for(url)`` as an item asks for it: None for now, and ``FetchFirst``
    when the item is done; the download runs, and the item, run again, gets the image."""
    media.begin_item()
    assert media.image_for(url, **kwargs) is None
    with pytest.raises(FetchFirst) as waiting:
        media.fetch_first()
    waiting.value.fetch()
    media.begin_item()
    image = media.image_for(url, **kwargs)
    media.fetch_first()
    return image


@pytest.mark.django_db
def test_download_by_address_from_a_loopback_server(web_folder):
    base, _root = web_folder
    importer = _Importer([])
    media = MediaImporter(importer, download=True)
    image = downloaded(media, f"{base}/wp-content/uploads/2022/01/bridge.jpg?ver=2", alt="Bridge")
    assert image is not None and image.width == 80
    assert media.image_for(f"{base}/wp-content/uploads/2022/01/bridge.jpg") == image
    # a later run finds it through the source record, with no download
    again = MediaImporter(_Importer([]), download=False)
    assert again.image_for(f"{base}/wp-content/uploads/2022/01/bridge.jpg") == image
    assert Image.objects.count() == 1
    assert importer.report.counts == {"image:created": 1}

    assert downloaded(media, f"{base}/wp-content/uploads/2022/01/notes.jpg") is None
    assert downloaded(media, f"{base}/wp-content/uploads/2022/01/gone.jpg") is None
    reasons = {note.item.rsplit("/", 1)[1]: note.reason for note in importer.report.skipped}
    assert "not a readable image" in reasons["notes.jpg"]
    assert "download failed" in reasons["gone.jpg"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_downloads_with_no_transaction_open_and_imports_as_from_a_folder(
    tmp_path, wp_uploads, monkeypatch, settings
):
    """Each item waiting for a download is rolled back, its batch committed, the download
    made outside any transaction, and the item run again: the result is the import the
    uploads folder gives (test_wordpress)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    make_site_tree()
    root = tmp_path / "web"
    (root / "wp-content").mkdir(parents=True)
    shutil.copytree(wp_uploads, root / "wp-content" / "uploads")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site = tmp_path / "site.xml"
    site.write_text(
        SITE.read_text().replace(
            "https://old.riverside.example/wp-content/uploads",
            f"http://127.0.0.1:{server.server_port}/wp-content/uploads",
        )
    )
    in_transaction = []

    def watched_download(key):
        in_transaction.append(connection.in_atomic_block)
        return real_download(key)

    real_download = media.download
    monkeypatch.setattr(media, "download", watched_download)
    try:
        report = run_import(
            "wordpress", [site], options={"download": True, "section_map": {"arts": "Culture"}}
        ).as_dict()
    finally:
        server.shutdown()
        server.server_close()

    assert in_transaction and not any(in_transaction)
    assert report["failed"] == []
    assert report["counts"]["post"] == {"created": 5, "skipped": 1}
    assert report["counts"]["image"] == {"created": 2, "skipped": 1}
    assert [note["reason"] for note in report["skipped"] if note["kind"] == "image"] == [
        "the download failed (File not found)"
    ]
    assert Image.objects.count() == 2
    assert len(list(Path(settings.MEDIA_ROOT).rglob("original_images/*"))) == 2


@pytest.mark.django_db
def test_without_download_or_folder_nothing_is_fetched(web_folder):
    base, _root = web_folder
    importer = _Importer([])
    assert (
        MediaImporter(importer).image_for(f"{base}/wp-content/uploads/2022/01/bridge.jpg") is None
    )
    assert "downloading is off" in importer.report.skipped[0].reason


@pytest.mark.django_db
def test_the_uploads_folder_cannot_be_left(tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (tmp_path / "outside.jpg").write_bytes(jpeg_bytes())
    importer = _Importer([])
    media = MediaImporter(importer, uploads_dir=uploads)
    assert media.image_for("https://old.example/wp-content/uploads/../outside.jpg") is None
    assert media.image_for("https://old.example/wp-content/uploads/%2e%2e/outside.jpg") is None
    assert Image.objects.count() == 0


@pytest.mark.django_db
def test_too_large_files_are_refused(tmp_path, settings):
    settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE = 1000
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "big.png").write_bytes(png_bytes(size=(400, 400)) + b"\0" * 2000)
    importer = _Importer([])
    assert (
        MediaImporter(importer, uploads_dir=uploads).image_for(
            "https://old.example/wp-content/uploads/big.png"
        )
        is None
    )
    assert "larger than" in importer.report.skipped[0].reason


def test_decompression_bombs_and_non_images_are_refused():
    bomb = io.BytesIO()
    PillowImage.new("1", (10_000, 10_000)).save(bomb, format="PNG")
    with pytest.raises(RefusedImage, match=r"decompression bomb|pixels"):
        check_image(bomb.getvalue())
    with pytest.raises(RefusedImage, match="not a readable image"):
        check_image(b"GIF89a but not really")
    tiff = io.BytesIO()
    PillowImage.new("RGB", (4, 4)).save(tiff, format="TIFF")
    with pytest.raises(RefusedImage, match="TIFF"):
        check_image(tiff.getvalue())
    assert check_image(jpeg_bytes()) == ("JPEG", 80, 60)
