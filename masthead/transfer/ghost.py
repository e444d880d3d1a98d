"""The Ghost importer: ``masthead import ghost export.json [members.csv]``.

Ghost's JSON export (Settings → Labs → Export, Ghost 4 to 6) is ``{"db": [{"meta": {...},
"data": {...}}]}``, ``data`` holding tables as lists of rows: ``posts`` (id, uuid, title,
slug, lexical, mobiledoc, html, plaintext, feature_image, feature_image_alt and
feature_image_caption — in ``posts_meta`` since Ghost 5 —, featured, type "post" or "page"
— a ``page`` flag before Ghost 4 —, status published / draft / scheduled / sent, visibility,
published_at, updated_at, custom_excerpt), ``tags`` (id, name, slug, visibility "public" or
"internal"), ``users`` (id, name, slug, bio, website), ``posts_tags`` and ``posts_authors``
(post_id, tag_id / author_id, sort_order). Dates are ISO strings (milliseconds since the
epoch in old exports).

- The body is the Lexical document if the post has one (``transfer.lexical``), else its
  Mobiledoc (``transfer.mobiledoc``), else Ghost's rendered ``html``; then
  ``transfer.html.to_blocks`` makes the article's blocks, sanitised.
- Posts become articles, pages plain pages under the home page. The primary tag (the first
  public tag) is the section, through ``section_map`` (``{"tag-slug": "section"}``), else
  the section with the tag's name, made if missing; a post without a tag goes to
  ``default_section``. Other public tags become tags; internal ``#tags`` are left out
  (noted). Authors become author pages (only people who wrote something).
- The newest published ``featured`` post becomes the home page's lead story (others noted).
- ``custom_excerpt`` is the standfirst (else the body's first sentences); published_at the
  publish date, kept in feeds and sitemaps; drafts stay drafts, scheduled posts are
  scheduled, email-only posts ("sent") are imported as drafts (noted); members-only posts are
  public here (noted).
- The feature image is the hero image, and images in the body are imported: from
  ``images_dir`` (a copy of Ghost's ``content/images`` folder: ``__GHOST_URL__/content/
  images/2024/01/x.jpg`` is ``images_dir/2024/01/x.jpg``; Ghost's resized copies under
  ``size/w600/`` are the original) or, with ``download``, from the site at ``site``.
- Each post's old address ``/slug/`` (Ghost's default routes) redirects to its new page.
- A members CSV (given with the export or alone) imports subscribers: see
  ``transfer.members``.

Options: ``site`` (the Ghost site's address, e.g. https://old.example; it also keys the
source records), ``section_map``, ``default_section``, ``images_dir``, ``download``,
``newsletter_map``, ``default_newsletter``.
"""

import json
import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from masthead.publishing.models import ArticlePage, HomePage, StandardPage
from masthead.transfer import lexical, mobiledoc, pages
from masthead.transfer.html import to_blocks
from masthead.transfer.importing import Importer, ImportFileError, register_importer
from masthead.transfer.media import MediaImporter
from masthead.transfer.members import MemberImport, NewsletterChooser, ghost_members, read_csv
from masthead.transfer.pages import ItemStatus

MAX_JSON_BYTES = 512 * 1024 * 1024
GHOST_URL = "__GHOST_URL__"
_RESIZED = re.compile(r"/content/images/size/w\d+(?:h\d+)?/")
# Ghost's status of a post: what it becomes here.
STATUSES = {
    "published": ItemStatus.PUBLISHED,
    "draft": ItemStatus.DRAFT,
    "scheduled": ItemStatus.SCHEDULED,
}


def parse_date(value):
    """A Ghost date (ISO string, or milliseconds since the epoch) as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value).strip().replace("Z", "+00:00")
    if " " in text and "T" not in text:
        text = text.replace(" ", "T", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def export_data(document):
    """The ``data`` of a Ghost export (with or without its ``db`` wrapper), checked."""
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise ImportFileError(
            "This is not a Ghost export: it has no db[0].data (export it from Ghost's "
            "Settings → Labs → Export your content)."
        )
    data = document["data"]
    if not isinstance(data.get("posts", []), list):
        raise ImportFileError("This Ghost export's posts are not a list.")
    for table in ("tags", "users", "posts_tags", "posts_authors", "posts_meta"):
        if not isinstance(data.get(table, []), list):
            raise ImportFileError(f"This Ghost export's {table} are not a list.")
    for post in data.get("posts", []):
        if not isinstance(post, dict) or not post.get("id"):
            raise ImportFileError("This Ghost export has a post without an id.")
    return document.get("meta") or {}, data


@register_importer("ghost")
class GhostImporter(Importer):
    source = "ghost"

    def check(self):
        self.site = str(self.options.get("site") or "").rstrip("/")
        self.data = None
        self.members_file = None
        self.member_rows = []
        for path in self.paths:
            path = Path(path)
            if path.suffix.lower() == ".csv":
                if self.members_file is not None:
                    raise ImportFileError("Give one members CSV at a time.")
                self.members_file = path
                self.member_rows = read_csv(path.read_bytes(), path.name)
            else:
                if self.data is not None:
                    raise ImportFileError("Give one Ghost export (.json) at a time.")
                self.data = self._read_export(path)
        if self.data is None and self.members_file is None:
            raise ImportFileError("Give a Ghost export (.json), a members CSV, or both.")
        data = self.data or {}
        self.chooser = None
        if self.member_rows:
            self.chooser = NewsletterChooser(self.options, self.report)
            self.chooser.require_default()
        self.posts = sorted(
            data.get("posts", []), key=lambda post: str(post.get("published_at") or "")
        )
        self.authors_of = self._links(data.get("posts_authors", []), "author_id")
        self.tags_of = self._links(data.get("posts_tags", []), "tag_id")
        for post in self.posts:
            if post.get("author_id") and not self.authors_of.get(str(post["id"])):
                self.authors_of[str(post["id"])] = [str(post["author_id"])]
        writers = {author for authors in self.authors_of.values() for author in authors}
        self.users = [
            user
            for user in data.get("users", [])
            if isinstance(user, dict) and str(user.get("id")) in writers
        ]
        self.tags = {
            str(tag.get("id")): tag for tag in data.get("tags", []) if isinstance(tag, dict)
        }
        self.meta_of = {
            str(meta.get("post_id")): meta
            for meta in data.get("posts_meta", [])
            if isinstance(meta, dict)
        }
        section_map = self.options.get("section_map") or {}
        if not isinstance(section_map, dict):
            raise ImportFileError("section_map must map tag slugs to sections.")
        self.section_map = {str(key).lower(): value for key, value in section_map.items()}
        return len(self.users) + len(self.posts) + len(self.member_rows)

    def _read_export(self, path):
        if path.stat().st_size > MAX_JSON_BYTES:
            raise ImportFileError(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MiB.")
        try:
            document = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError) as error:
            raise ImportFileError(f"{path.name} is not a JSON file ({error}).") from None
        except RecursionError:
            raise ImportFileError(f"{path.name} is nested too deeply to be an export.") from None
        _meta, data = export_data(document)
        return data

    @staticmethod
    def _links(rows, column):
        linked = {}
        ordered = sorted(
            (row for row in rows if isinstance(row, dict)),
            key=lambda row: row.get("sort_order") or 0,
        )
        for row in ordered:
            linked.setdefault(str(row.get("post_id")), []).append(str(row.get(column)))
        return linked

    # -- items ---------------------------------------------------------------------------------

    def items(self):
        self.featured = []  # (published_at, page pk, label) of published featured posts
        self.media = MediaImporter(
            self,
            uploads_dir=self.options.get("images_dir") or None,
            download=bool(self.options.get("download")),
            uploads_prefixes=("/content/images/",),
        )
        for user in self.users:
            yield f"author {user.get('name') or user.get('id')}", self._author_work(user)
        for post in self.posts:
            yield (
                f"{post.get('type', 'post')} {post.get('title') or post['id']}",
                (self._post_work(post)),
            )
        if self.member_rows:
            self.members = MemberImport(self, "Ghost", self.members_file.name)
            for source_id, label, member, notes in ghost_members(
                self.member_rows, self.chooser, self.report
            ):
                yield f"member {label}", self.members.work(source_id, label, member, notes)

    def finish(self):
        if getattr(self, "members", None) is not None:
            self.members.finish()
        self._lead_story()

    def _lead_story(self):
        """The newest featured post becomes the home page's lead story (it has one)."""
        featured = sorted(
            (entry for entry in self.featured if ArticlePage.objects.filter(pk=entry[1]).exists()),
            key=lambda entry: (entry[0] is not None, entry[0]),
            reverse=True,
        )
        if not featured:
            return
        _date, pk, label = featured[0]
        home = pages.home_page()
        if isinstance(home, HomePage):
            home.lead_story = ArticlePage.objects.get(pk=pk)
            home.save_revision().publish()
            self.report.approximate(
                "post", label, "featured on Ghost: made the home page's lead story"
            )
        for _date, _pk, other in featured[1:]:
            self.report.approximate(
                "post",
                other,
                "featured on Ghost, but the home page has one lead story (the newest featured "
                "post's): imported as an ordinary article",
            )

    def _author_work(self, user):
        def run():
            _author, created = pages.author_for(
                user.get("name") or user.get("slug") or "",
                slug=user.get("slug"),
                bio=user.get("bio") or "",
                website=user.get("website") or "",
                importer=self,
                source_id=str(user["id"]),
            )
            self.report.count("author", "created" if created else "updated")

        return run

    def image_url(self, url):
        """A Ghost image address as the media importer looks it up: the site's address in
        place of ``__GHOST_URL__`` (or of nothing, before a path), and the original in
        place of a resized copy."""
        url = str(url or "").strip()
        if url.startswith(GHOST_URL):
            url = url[len(GHOST_URL) :]
        if url.startswith("/") and not url.startswith("//"):
            url = self.site + url
        return _RESIZED.sub("/content/images/", url)

    def _image(self, url, alt=""):
        if not url:
            return None
        return self.media.image_for(self.image_url(url), alt=alt or "")

    def _body_html(self, post, label):
        for field, renderer in (
            ("lexical", lexical.render),
            ("mobiledoc", lambda value: mobiledoc.render(value, post.get("html") or "")),
        ):
            value = post.get(field)
            if not value:
                continue
            try:
                html, notes = renderer(value)
            except (lexical.LexicalError, mobiledoc.MobiledocError) as error:
                self.report.approximate(
                    "post", label, f"{error}: Ghost's rendered HTML was used instead"
                )
                break
            for note in notes:
                self.report.approximate("post", label, note)
            return html
        html = post.get("html") or ""
        if not html and post.get("plaintext"):
            html = "".join(
                f"<p>{escape(part)}</p>" for part in str(post["plaintext"]).split("\n\n")
            )
        return html

    def _post_work(self, post):
        def run():
            self.media.begin_item()
            try:
                self._import_post(post)
                self.media.fetch_first()
            except Exception:
                self.media.forget_item()
                raise

        return run

    def _import_post(self, post):
        post_id = str(post["id"])
        is_page = post.get("type") == "page" or bool(post.get("page"))
        kind = "page" if is_page else "post"
        title = str(post.get("title") or "").strip() or "Untitled"
        label = f"{title} ({kind} {post_id})"
        # Ghost writes its own address as __GHOST_URL__: links to its other posts become
        # paths on this site, which their redirects answer.
        body_html = self._body_html(post, label).replace(GHOST_URL, "")
        if post.get("codeinjection_head") or post.get("codeinjection_foot"):
            self.report.approximate(kind, label, "its code injection (scripts) was left out")
        blocks, notes = to_blocks(body_html, images=lambda src, alt="": self._image(src, alt))
        for note in notes:
            self.report.approximate(kind, label, note)
        ghost_status = str(post.get("status") or "draft")
        status = STATUSES.get(ghost_status, ItemStatus.DRAFT)
        if ghost_status == "sent":
            self.report.approximate(kind, label, "sent by email only on Ghost: imported as a draft")
        elif ghost_status not in STATUSES:
            self.report.approximate(kind, label, f"status {ghost_status!r} imported as a draft")
        visibility = post.get("visibility") or "public"
        if visibility != "public" and status != ItemStatus.DRAFT:
            self.report.approximate(
                kind, label, f"was for {visibility} readers only on Ghost; it is public here"
            )
        published_at = parse_date(post.get("published_at"))
        standfirst, truncated = pages.standfirst_from(post.get("custom_excerpt") or "", body_html)
        if truncated:
            self.report.approximate(kind, label, "the standfirst was cut to 300 characters")
        meta = self.meta_of.get(post_id, {})
        hero_alt = post.get("feature_image_alt") or meta.get("feature_image_alt") or ""
        hero_caption = post.get("feature_image_caption") or meta.get("feature_image_caption") or ""
        hero = None if is_page else self._image(post.get("feature_image"), hero_alt)
        self.media.fetch_first()  # the images are resolved: nothing is saved before them
        extra = {}
        if hero is not None:
            extra = {
                "hero_alt_text": pages.plain_text(hero_alt)[:250],
                "hero_caption": pages.plain_text(hero_caption)[:300],
            }
        section, tags = self._section_and_tags(post_id, is_page, label)
        authors = [
            author
            for author in (
                self.find("author", author_id) for author_id in self.authors_of.get(post_id, [])
            )
            if author is not None
        ]
        slug = str(post.get("slug") or "")
        page, _created = pages.save_article(
            self,
            kind,
            post_id,
            title=title,
            slug=slug,
            standfirst=standfirst,
            body=blocks,
            published_at=published_at,
            status=status,
            go_live_at=published_at if status == ItemStatus.SCHEDULED else None,
            section=section,
            authors=authors,
            tags=tags,
            hero_image=hero,
            old_urls=[f"/{slug}/"] if slug else [],
            page_class=StandardPage if is_page else ArticlePage,
            extra_fields=extra,
            modified_at=parse_date(post.get("updated_at")),
            label=label,
        )
        if post.get("featured") and status == ItemStatus.PUBLISHED and not is_page:
            self.featured.append((published_at, page.pk, label))

    def _section_and_tags(self, post_id, is_page, label):
        if is_page:
            return pages.home_page(), []
        public, internal = [], []
        for tag_id in self.tags_of.get(post_id, []):
            tag = self.tags.get(tag_id)
            if tag is None:
                continue
            name = str(tag.get("name") or "")
            if tag.get("visibility") == "internal" or name.startswith("#"):
                internal.append(name)
            else:
                public.append(tag)
        if internal:
            self.report.approximate(
                "post", label, f"internal tags left out: {', '.join(sorted(internal))}"
            )
        if not public:
            return pages.default_section(self.options.get("default_section") or None), []
        primary, others = public[0], public[1:]
        slug = str(primary.get("slug") or "").lower()
        target = self.section_map.get(slug) or primary.get("name") or slug
        section = pages.section_for(target) or pages.default_section(
            self.options.get("default_section") or None
        )
        return section, [tag.get("name") for tag in others]
