"""The Substack importer: ``masthead import substack export.zip``.

Substack's export (Settings → Exports) is a ZIP holding:

- ``posts.csv``: one row per post with post_id (``123456.the-slug``), post_date,
  is_published, email_sent_at, inbox_sent_at, type (newsletter, podcast, thread...),
  audience (everyone, only_free, only_paid, founding), title, subtitle, podcast_url;
- ``posts/<post_id>.html``: each post's body, bare HTML (no title, no dates);
- ``email_list.<publication>.csv``: the subscribers (see ``transfer.members``); opens and
  deliveries CSVs, which are left alone.

Posts become articles (subtitle → standfirst, post_date → publish date, unpublished posts
drafts) in ``default_section``, by ``author`` (a name) when given; threads are left out; a
post for paying subscribers only is public here (noted); a podcast keeps a link to its
audio. Substack's widgets are made plain: subscribe and share buttons left out (noted),
pull quotes and tweets kept as such; images come by URL only with ``download``. Each
post's old address ``/p/<slug>`` redirects to its new page. Paid plans are noted, never
charged.

The ZIP is checked before anything is read from it: no more than ``MAX_MEMBERS`` files, no
more than ``TRANSFER_ZIP_MAX_BYTES`` uncompressed (1 GiB by default), no file that
compresses more than ``MAX_RATIO`` to one (a zip bomb), no encrypted file, and no name that
is absolute or climbs out with ``..``; each file is read with its declared size as a hard
limit. A file that fails any check is refused whole, with nothing changed.

Options: ``site`` (the publication's address; it also keys the source records),
``default_section``, ``author``, ``download``, ``newsletter_map``, ``default_newsletter``.
"""

import json
import posixpath
import re
import zipfile
from html import escape

from bs4 import BeautifulSoup
from django.conf import settings

from masthead.publishing.models import ArticlePage, StandardPage
from masthead.transfer import pages
from masthead.transfer.html import to_blocks
from masthead.transfer.importing import Importer, ImportFileError, register_importer
from masthead.transfer.media import MediaImporter
from masthead.transfer.members import (
    MemberImport,
    NewsletterChooser,
    parse_date,
    read_csv,
    substack_subscribers,
)
from masthead.transfer.pages import ItemStatus

MAX_MEMBERS = 50_000
MAX_RATIO = 200
RATIO_FLOOR = 1024 * 1024  # small files may compress well without being a bomb
MAX_HTML_BYTES = 20 * 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_EMAIL_LIST = re.compile(r"^email_list(?:\.(?P<name>.+))?\.csv$", re.IGNORECASE)
IMPORTED_TYPES = {"newsletter", "podcast", "page"}
PAID_AUDIENCES = {"only_paid", "founding", "paid"}


def max_bytes():
    return settings.TRANSFER_ZIP_MAX_BYTES


def open_zip(path):
    """The checked ZipFile (see the module docstring), or ImportFileError."""
    name = getattr(path, "name", str(path))
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ImportFileError(f"{name} is not a ZIP file ({error}).") from None
    try:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise ImportFileError(f"{name} holds more than {MAX_MEMBERS:,} files.")
        total = 0
        for info in members:
            member = info.filename
            parts = member.replace("\\", "/").split("/")
            if member.startswith(("/", "\\")) or _DRIVE.match(member) or ".." in parts:
                raise ImportFileError(
                    f"{name} names a file outside the archive ({member!r}); it was refused."
                )
            if info.flag_bits & 0x1:
                raise ImportFileError(f"{name} holds an encrypted file ({member!r}).")
            total += info.file_size
            if total > max_bytes():
                raise ImportFileError(
                    f"{name} would unpack to more than {max_bytes() >> 20} MiB; it was refused."
                )
            if info.file_size > RATIO_FLOOR and (
                info.file_size > MAX_RATIO * max(info.compress_size, 1)
            ):
                raise ImportFileError(
                    f"{name} holds {member!r}, which unpacks to more than {MAX_RATIO} times its "
                    "packed size (a zip bomb); it was refused."
                )
    except ImportFileError:
        archive.close()
        raise
    return archive


def read_member(archive, info, limit=None):
    """The bytes of one member, read no further than its declared size (and ``limit``)."""
    limit = info.file_size if limit is None else min(limit, info.file_size)
    if info.file_size > limit:
        raise ImportFileError(f"{info.filename} is larger than {limit >> 20} MiB.")
    try:
        with archive.open(info) as stream:
            data = stream.read(limit + 1)
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as error:
        raise ImportFileError(f"{info.filename} cannot be read from the ZIP ({error}).") from None
    if len(data) > limit:
        raise ImportFileError(f"{info.filename} is larger than its ZIP entry says; refused.")
    return data


def clean_substack_html(html, notes):
    """Substack's widgets made into plain HTML ``to_blocks`` understands."""
    soup = BeautifulSoup(html or "", "html.parser")
    for widget in soup.select(
        ".subscription-widget-wrap, .subscription-widget, .subscribe-widget, "
        "p.button-wrapper, .share-dialog, .digest-post-embed, .poll-embed"
    ):
        notes.append("a Substack button or widget (subscribe, share, poll) was left out")
        widget.decompose()
    for quote in soup.select(".pullquote"):
        paragraphs = quote.find_all("p") or [quote]
        blockquote = soup.new_tag("blockquote", attrs={"class": "wp-block-pullquote"})
        for paragraph in paragraphs:
            new = soup.new_tag("p")
            new.string = paragraph.get_text(" ", strip=True)
            blockquote.append(new)
        quote.replace_with(blockquote)
    for tweet in soup.select("div.tweet, div.twitter-embed"):
        url = ""
        try:
            url = json.loads(tweet.get("data-attrs") or "{}").get("url", "")
        except ValueError:
            url = ""
        if not url:
            link = tweet.find("a", href=True)
            url = link["href"] if link else ""
        figure = soup.new_tag("figure", attrs={"class": "wp-block-embed"})
        wrapper = soup.new_tag("div", attrs={"class": "wp-block-embed__wrapper"})
        wrapper.string = url
        figure.append(wrapper)
        tweet.replace_with(figure)
    return str(soup)


@register_importer("substack")
class SubstackImporter(Importer):
    source = "substack"

    def check(self):
        self.site = str(self.options.get("site") or "").rstrip("/")
        if len(self.paths) != 1:
            raise ImportFileError("Give Substack's export ZIP, one file.")
        self.zip_path = self.paths[0]
        archive = open_zip(self.zip_path)
        try:
            self._read(archive)
        finally:
            archive.close()
        self.chooser = None
        if self.subscriber_rows:
            self.chooser = NewsletterChooser(self.options, self.report)
            self.chooser.require_default()
        return len(self.posts) + sum(len(rows) for _name, _list, rows in self.subscriber_rows)

    def _read(self, archive):
        by_name = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        csvs = sorted(
            (name for name in by_name if posixpath.basename(name).lower() == "posts.csv"),
            key=len,
        )
        lists = [name for name in by_name if _EMAIL_LIST.match(posixpath.basename(name))]
        if not csvs and not lists:
            raise ImportFileError(
                "This is not a Substack export: it has neither posts.csv nor an email list."
            )
        self.posts = []
        self.bodies = {}
        if csvs:
            folder = posixpath.dirname(csvs[0])
            rows = read_csv(read_member(archive, by_name[csvs[0]]), "posts.csv", ("post_id",))
            for line, row in enumerate(rows, start=2):
                post_id = row.get("post_id", "")
                if not post_id:
                    raise ImportFileError(f"posts.csv, line {line}: a post without a post_id.")
                html_name = posixpath.join(folder, "posts", f"{post_id}.html")
                info = by_name.get(html_name)
                body = read_member(archive, info, MAX_HTML_BYTES) if info else None
                if body is not None:
                    try:
                        self.bodies[post_id] = body.decode("utf-8")
                    except UnicodeDecodeError:
                        raise ImportFileError(f"{html_name} is not UTF-8 text.") from None
                self.posts.append(row)
        self.subscriber_rows = []
        for name in sorted(lists):
            list_name = _EMAIL_LIST.match(posixpath.basename(name)).group("name") or ""
            rows = read_csv(read_member(archive, by_name[name]), posixpath.basename(name))
            self.subscriber_rows.append((posixpath.basename(name), list_name, rows))

    def items(self):
        self.media = MediaImporter(
            self, download=bool(self.options.get("download")), uploads_prefixes=()
        )
        for row in self.posts:
            yield f"post {row.get('title') or row['post_id']}", self._post_work(row)
        self.members = []
        for filename, list_name, rows in self.subscriber_rows:
            members = MemberImport(self, "Substack", filename)
            self.members.append(members)
            for source_id, label, member, notes in substack_subscribers(
                rows, self.chooser, self.report, list_name
            ):
                yield f"subscriber {label}", members.work(source_id, label, member, notes)

    def finish(self):
        for members in getattr(self, "members", []):
            members.finish()

    def _post_work(self, row):
        def run():
            self.media.begin_item()
            try:
                self._import_post(row)
                self.media.fetch_first()
            except Exception:
                self.media.forget_item()
                raise

        return run

    def _import_post(self, row):
        post_id = row["post_id"]
        numeric, _dot, slug = post_id.partition(".")
        slug = slug or numeric
        title = row.get("title") or slug.replace("-", " ").capitalize() or "Untitled"
        kind = "post"
        label = f"{title} (post {post_id})"
        post_type = (row.get("type") or "newsletter").lower()
        if post_type not in IMPORTED_TYPES:
            self.report.skip(kind, label, f"a Substack {post_type} is not an article")
            return
        html = self.bodies.get(post_id)
        if html is None:
            self.report.skip(kind, label, f"the export has no posts/{post_id}.html")
            return
        notes = []
        html = clean_substack_html(html, notes)
        if self.site:
            # Links to the publication's other posts become paths their redirects answer.
            html = html.replace(f"{self.site}/p/", "/p/")
        if row.get("podcast_url"):
            html += (
                f'<p><a href="{escape(row["podcast_url"], quote=True)}">'
                "Listen to this episode</a></p>"
            )
            notes.append("the podcast's audio was linked, not imported")
        blocks, block_notes = to_blocks(
            html, images=lambda src, alt="": self.media.image_for(src, alt=alt or "")
        )
        self.media.fetch_first()  # the images are resolved: nothing is saved before them
        for note in dict.fromkeys([*notes, *block_notes]):
            self.report.approximate(kind, label, note)
        published = str(row.get("is_published", "")).strip().lower() in ("true", "t", "1", "yes")
        audience = (row.get("audience") or "everyone").lower()
        if audience in PAID_AUDIENCES and published:
            self.report.approximate(
                kind, label, f"was for paying subscribers only ({audience}); it is public here"
            )
        if row.get("email_sent_at") and not published:
            self.report.approximate(kind, label, "sent by email only on Substack: a draft here")
        standfirst, truncated = pages.standfirst_from(row.get("subtitle") or "", html)
        if truncated:
            self.report.approximate(kind, label, "the standfirst was cut to 300 characters")
        # Looked up for each post: an item that failed took what it made with it.
        is_page = post_type == "page"
        section = (
            pages.home_page()
            if is_page
            else pages.default_section(self.options.get("default_section") or None)
        )
        authors = []
        if self.options.get("author") and not is_page:
            author, _created = pages.author_for(
                str(self.options["author"]), importer=self, source_id="author"
            )
            authors = [author]
        published_at = parse_date(row.get("post_date"))
        pages.save_article(
            self,
            kind,
            post_id,
            title=title,
            slug=slug,
            standfirst=standfirst,
            body=blocks,
            published_at=published_at,
            status=ItemStatus.PUBLISHED if published else ItemStatus.DRAFT,
            section=section,
            authors=authors,
            old_urls=[f"/p/{slug}"],
            page_class=StandardPage if is_page else ArticlePage,
            label=label,
        )
