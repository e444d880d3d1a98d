"""Images of another site made into Wagtail images, once each.

The interface::

    media = MediaImporter(importer, uploads_dir=None, download=False,
                          uploads_prefixes=("/wp-content/uploads/",))
    image = media.image_for(url, alt="", title="", attachment_id=None)  # Image or None
    prepare_local_image(url, uploads_dir, uploads_prefixes, limits)  # in a worker process

An image is looked for, in order:

1. in the importer's source records (kind "image" keyed by its address without query, and
   kind "attachment" keyed by the old site's attachment id): an image imported by an
   earlier item or an earlier run is used again, never copied twice;
2. in ``uploads_dir``, a copy of the old site's upload folder: the part of the address
   after an ``uploads_prefixes`` entry is a path under it (``https://site/wp-content/
   uploads/2020/01/x.jpg`` is ``uploads_dir/2020/01/x.jpg``); a path that would leave the
   folder is refused;
3. on the web when ``download`` is true: ``urllib`` with a 20-second timeout, http and https
   only, at most ``WAGTAILIMAGES_MAX_UPLOAD_SIZE`` bytes. Never while a transaction is open:
   an address not downloaded yet answers None for now and is noted; ``fetch_first()``
   (called by the importer once an item's images are resolved, before it saves anything
   else, and again when its work is done) then raises ``importing.FetchFirst``, so
   ``run_import`` rolls the item back, downloads what was noted (``fetch_now``) with no
   transaction open, and runs the item again, which finds the files downloaded. Files the
   rolled-back attempt had stored are deleted.

WordPress names its resized copies ``x-300x200.jpg``; when the original ``x.jpg`` can be had
it is imported instead (once, for every size the posts name).

Each file is checked with Pillow before anything is stored: it must be a JPEG, PNG, GIF or
WebP no larger than ``WAGTAILIMAGES_MAX_UPLOAD_SIZE`` and of at most
``WAGTAILIMAGES_MAX_IMAGE_PIXELS`` pixels (a decompression bomb is refused by its header,
without decoding it). It is stored cleaned as every upload is (``masthead.core.images``:
location and camera metadata stripped, an unguessable name), with that module's own
functions, before the image is saved (see ``MediaImporter._write``).

Whatever cannot be had (missing file, refused download, not an image) is reported as a
skipped image with the reason and the caller gets None: never fatal. In a dry run the file
is checked but not stored: the image row points at no file and is rolled back with the
rest of the dry run.
"""

import io
import os
import re
import urllib.error
import urllib.request
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from PIL import Image as PillowImage
from wagtail.images import get_image_model
from wagtail.models import get_root_collection_id

from masthead.core.images import UnreadableImage, strip_metadata, unguessable_name
from masthead.transfer.importing import FetchFirst
from masthead.transfer.pages import remember_new_many

DOWNLOAD_TIMEOUT = 20
FORMATS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
_SIZE_SUFFIX = re.compile(r"-\d{1,5}x\d{1,5}(?=\.[A-Za-z0-9]+$)")
TITLE_MAX = 255


class RefusedImage(ValueError):
    """The file is not an image this site takes; the message says why."""


class _NotDownloadedYet(Exception):
    """The file is on the web and has not been downloaded yet (``MediaImporter.fetch_now``)."""


def max_bytes():
    return settings.WAGTAILIMAGES_MAX_UPLOAD_SIZE


def max_pixels():
    return settings.WAGTAILIMAGES_MAX_IMAGE_PIXELS


def check_image(data, limits=None):
    """(format, width, height) of the image in ``data``; RefusedImage if it is not one this
    site takes. ``limits`` is ``(max_bytes, max_pixels)``, the settings' by default."""
    most_bytes, most_pixels = limits or (max_bytes(), max_pixels())
    if len(data) > most_bytes:
        raise RefusedImage(f"it is larger than {most_bytes // (1024 * 1024)} MiB")
    try:
        with warnings.catch_warnings():  # a bomb is refused below, by its size, with a reason
            warnings.simplefilter("ignore", PillowImage.DecompressionBombWarning)
            picture = PillowImage.open(io.BytesIO(data))
        with picture:
            image_format, (width, height) = picture.format, picture.size
            if image_format not in FORMATS:
                raise RefusedImage(f"{image_format or 'its format'} is not an image format taken")
            if width * height > most_pixels:
                raise RefusedImage(
                    f"it is {width}x{height} pixels, more than {most_pixels:,} (a "
                    "decompression bomb, or far too large)"
                )
            picture.verify()
    except RefusedImage:
        raise
    except PillowImage.DecompressionBombError as error:
        raise RefusedImage(f"a decompression bomb: {error}") from error
    except Exception as error:
        raise RefusedImage(f"it is not a readable image ({type(error).__name__})") from error
    return image_format, width, height


def source_key(url):
    """The address without its query and fragment: the image's key."""
    parts = urlsplit((url or "").strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, "", ""))


def candidate_keys(key):
    """The keys to try for the image at ``key``: the original of a resized copy first."""
    original = _SIZE_SUFFIX.sub("", key)
    return [key] if original == key else [original, key]


def local_path(uploads_dir, uploads_prefixes, key):
    """The file under ``uploads_dir`` for ``key``, or None (none there, or outside it)."""
    if uploads_dir is None:
        return None
    path = unquote(urlsplit(key).path)
    for prefix in uploads_prefixes:
        if prefix in path:
            relative = path.split(prefix, 1)[1]
            candidate = (uploads_dir / relative).resolve()
            if candidate.is_relative_to(uploads_dir) and candidate.is_file():
                return candidate
    return None


def read_local(path, most_bytes):
    if path.stat().st_size > most_bytes:
        raise RefusedImage(f"it is larger than {most_bytes // (1024 * 1024)} MiB")
    return path.read_bytes()


def prepare_local_image(url, uploads_dir, uploads_prefixes, limits):
    """What ``MediaImporter`` would do first with the files for ``url`` in the uploads
    folder, for the worker process (``masthead.transfer.ahead``): ``{key: (data, size,
    format, width, height, cleaned)}`` for the first candidate file that is there and an
    image taken, ``data`` None when the file was ``cleaned`` (only one copy of a picture
    crosses to the importer), ``cleaned`` None when the cleaning cannot walk it. Anything
    else is left to the importer, which then finds the reason itself."""
    prepared = {}
    key = source_key(url)
    if not key or urlsplit(key).scheme not in ("http", "https", ""):
        return prepared
    for candidate in candidate_keys(key):
        try:
            path = local_path(uploads_dir, uploads_prefixes, candidate)
            if path is None:
                continue
            data = read_local(path, limits[0])
            image_format, width, height = check_image(data, limits)
        except (OSError, RefusedImage):
            continue
        try:
            cleaned = strip_metadata(data)
        except UnreadableImage:
            cleaned = None
        original = data if cleaned is None else None
        prepared[candidate] = (original, len(data), image_format, width, height, cleaned)
        break  # the importer stops at the first candidate it can import
    return prepared


def download(key):
    """The bytes at the http(s) address ``key``: at most ``max_bytes()`` (RefusedImage
    beyond), FileNotFoundError when the download fails or times out."""
    request = urllib.request.Request(key, headers={"User-Agent": "Masthead importer"})  # noqa: S310 - http(s) only, checked by the caller
    try:
        with urllib.request.urlopen(request, timeout=DOWNLOAD_TIMEOUT) as response:  # noqa: S310
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes():
                raise RefusedImage(f"it is larger than {max_bytes() // (1024 * 1024)} MiB")
            return response.read(max_bytes() + 1)
    except urllib.error.URLError as error:
        raise FileNotFoundError(f"the download failed ({error.reason})") from error
    except TimeoutError as error:
        raise FileNotFoundError("the download timed out") from error


class MediaImporter:
    def __init__(
        self,
        importer,
        *,
        uploads_dir=None,
        download=False,
        uploads_prefixes=("/wp-content/uploads/",),
        known_urls=(),
    ):
        self.importer = importer
        self.report = importer.report
        self.uploads_dir = Path(uploads_dir).resolve() if uploads_dir else None
        self.download = bool(download)
        self.uploads_prefixes = tuple(uploads_prefixes)
        self.known_urls = {source_key(url) for url in known_urls}
        self._found = {}  # (kind, source id) -> Image, for this run
        self._recent = []  # what the current item added to it
        self._absent = set()  # (kind, source id) known to have no source record
        self._unsaved = []  # (kind, source id, image) new records not yet saved
        self.Image = get_image_model()
        self._collection_id = None  # the root collection's, where imported images go
        # The current item's files as the worker process read, checked and cleaned them
        # (see prepare_local_image)
        self.prepared = {}
        self._downloaded = {}  # address -> its bytes, or what its download raised
        self._again = False  # the next item is the last one, run again after downloading
        self._to_download = {}  # addresses the current item waits for (an ordered set)
        self._written = []  # files the current item stored, deleted if it must run again

    # -- the run's memory, rolled back with an item that fails ------------------------------

    def begin_item(self, prepared=None):
        self._recent = []
        self.prepared = prepared or {}
        self._to_download = {}
        self._written = []
        if not self._again:
            self._downloaded = {}  # what the item before was given
        self._again = False

    def fetch_first(self):
        """Raise ``FetchFirst`` if the current item waits for downloads: it is rolled back
        and run again once they are made (see the module docstring); the files it stored
        meanwhile are deleted."""
        if not self._to_download:
            return
        storage = self.Image._meta.get_field("file").storage
        for name in self._written:
            storage.delete(name)
        self._written = []
        self._again = True
        raise FetchFirst(self.fetch_now)

    def fetch_now(self):
        """Download what the last item waited for (with no transaction open)."""
        for key in self._to_download:
            try:
                self._downloaded[key] = download(key)
            except (OSError, RefusedImage) as error:
                self._downloaded[key] = error
        self._to_download = {}

    def forget_item(self):
        """Forget what the item that just failed (and was rolled back) imported."""
        for record in self._recent:
            self._found.pop(record, None)
        self._recent = []
        self._unsaved = []
        self._absent.clear()  # what it recorded is gone again

    def _known(self, kind, source_id):
        """The image recorded for (kind, source_id), from this run's memory or the source
        records (then remembered for the rest of the run)."""
        record = (kind, source_id)
        image = self._found.get(record)
        if image is None and record not in self._absent:
            image = self.importer.find(kind, source_id, self.Image)
            if image is not None:
                self._found[record] = image
                self._recent.append(record)
            else:
                self._absent.add(record)
        return image

    def _record(self, kind, source_id, image):
        """Record that (kind, source_id) is ``image``, here and in the source records (a new
        record waits in ``_unsaved`` until ``_save_records``)."""
        record = (kind, source_id)
        if self._found.get(record) is image:
            return
        if record in self._absent:
            self._unsaved.append((kind, source_id, image))
            self._absent.discard(record)
        else:
            self.importer.remember(kind, source_id, image)
        self._found[record] = image
        self._recent.append(record)

    def _save_records(self):
        """The new source records of an image (its address, its attachment id) in one
        INSERT."""
        if self._unsaved:
            remember_new_many(self.importer, self._unsaved)
            self._unsaved = []

    # -- finding ----------------------------------------------------------------------------

    def image_for(self, url, *, alt="", title="", attachment_id=None):
        """The Wagtail image for ``url`` (imported if need be), or None (reported)."""
        key = source_key(url)
        if not key or urlsplit(key).scheme not in ("http", "https", ""):
            self.report.skip("image", url, "not an address of an image")
            return None
        attachment_id = str(attachment_id) if attachment_id is not None else None
        image = self._known("image", key)
        if image is None and attachment_id is not None:
            image = self._known("attachment", attachment_id)
        candidates = candidate_keys(key)
        if image is None and len(candidates) > 1:
            image = self._known("image", candidates[0])
        if image is None:
            image = self._import(candidates, url, alt=alt, title=title)
        if image is None:
            return None
        self._record("image", key, image)
        if attachment_id is not None:
            self._record("attachment", attachment_id, image)
        self._save_records()
        return image

    def _import(self, candidates, url, *, alt, title):
        reasons = []
        for number, candidate in enumerate(candidates):
            resized = number == 0 and len(candidates) > 1
            if resized and candidate not in self.known_urls and not self._local_path(candidate):
                continue  # the original of a resized copy, when it is not to be had here
            prepared = self.prepared.get(candidate)
            if prepared is not None:
                data, size, image_format, width, height, cleaned = prepared
            else:
                try:
                    data = self._fetch(candidate)
                    image_format, width, height = check_image(data)
                except _NotDownloadedYet:
                    self._to_download[candidate] = True
                    return None  # for now: the item runs again once it is downloaded
                except (OSError, RefusedImage) as error:
                    reasons.append(str(error))
                    continue
                size, cleaned = len(data), None
            image = self._store(
                candidate, data, size, image_format, width, height, title or alt, cleaned
            )
            self._record("image", candidate, image)
            self.report.count("image", "created")
            return image
        self.report.skip("image", url, "; ".join(reasons) or "it could not be found")
        return None

    def _local_path(self, key):
        return local_path(self.uploads_dir, self.uploads_prefixes, key)

    def _fetch(self, key):
        local = self._local_path(key)
        if local is not None:
            return read_local(local, max_bytes())
        if self.uploads_dir is not None and not self.download:
            raise FileNotFoundError(f"no file for it in the uploads folder ({key})")
        if not self.download:
            raise FileNotFoundError("no uploads folder was given and downloading is off")
        if urlsplit(key).scheme not in ("http", "https"):
            raise RefusedImage("only http and https addresses are downloaded")
        if key not in self._downloaded:
            raise _NotDownloadedYet(key)
        downloaded = self._downloaded[key]
        if isinstance(downloaded, Exception):
            raise downloaded
        return downloaded

    def _store(self, key, data, size, image_format, width, height, title, cleaned=None):
        name = os.path.basename(unquote(urlsplit(key).path)) or "image"
        stem, extension = os.path.splitext(name)
        if extension.lower().lstrip(".") not in ("jpg", "jpeg", "png", "gif", "webp"):
            name = f"{stem or 'image'}.{FORMATS[image_format]}"
        title = (title or stem.replace("-", " ").replace("_", " ") or "Image")[:TITLE_MAX]
        if self._collection_id is None:
            self._collection_id = get_root_collection_id()
        image = self.Image(
            title=title,
            collection_id=self._collection_id,
            width=width,
            height=height,
            file_size=size,
        )
        if self.importer.dry_run:
            image.file.name = f"original_images/dry-run-{name}"  # no file is written
        else:
            self._write(image, data, name, cleaned)
        image.save()
        if not self.importer.dry_run:
            self._written.append(image.file.name)
        return image

    def _write(self, image, data, name, cleaned=None):
        """Store ``data`` as ``image``'s file, cleaned as ``masthead.core.images`` cleans
        every upload (metadata stripped, an unguessable name), before the image is saved:
        the cleaning on saving then has nothing left to do, and Django does not open the
        file twice more to read the size Pillow has already read. A file the cleaning
        cannot walk is left to it (it re-encodes such a file as it is saved). ``cleaned``
        is ``data`` already cleaned (by the worker process), if it was."""
        try:
            cleaned = strip_metadata(data) if cleaned is None else cleaned
        except UnreadableImage:
            # Given to the field's descriptor: Django reads its size once more.
            image.file = ImageFile(io.BytesIO(data), name=name)
            return
        field = image.file.field
        path = field.generate_filename(image, unguessable_name(name))
        stored = field.storage.save(path, ContentFile(cleaned), max_length=field.max_length)
        image.file.name = stored
        image.file_size = len(cleaned)
