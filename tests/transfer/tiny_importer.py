"""A tiny importer for the tests of the import command, task and admin screens, which test
the machinery around importers, not any one platform's format.

Its file is text, one item a line: ``id|title``. A line without ``|`` makes the whole file
bad (ImportFileError, nothing changed); an item titled ``FAIL`` fails alone. Each item
becomes a live article in the section the ``default_section`` option names (a slug) or the
first one, remembered by its id, so a second run updates instead of duplicating. The options
an import was given are kept in ``TinyImporter.seen_options``.
"""

from contextlib import contextmanager

from django.utils.text import slugify

from masthead.publishing.models import ArticlePage, SectionPage
from masthead.transfer import importing

KIND = "tiny"


class TinyImporter(importing.Importer):
    source = "tiny"
    seen_options = []

    def check(self):
        self.rows = []
        for path in self.paths:
            text = path.read_text(encoding="utf-8")
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                source_id, bar, title = line.partition("|")
                if not bar:
                    raise importing.ImportFileError(
                        f"{path.name}, line {number}: this is not a tiny export (no “|”)."
                    )
                self.rows.append((source_id.strip(), title.strip()))
        if not self.rows:
            raise importing.ImportFileError(f"{self.paths[0].name} holds no items.")
        TinyImporter.seen_options.append(dict(self.options))
        return len(self.rows)

    def section(self):
        slug = self.options.get("default_section")
        sections = SectionPage.objects.order_by("path")
        return (sections.filter(slug=slug).first() if slug else None) or sections.first()

    def items(self):
        for source_id, title in self.rows:
            yield title, lambda source_id=source_id, title=title: self.save(source_id, title)

    def save(self, source_id, title):
        if title == "FAIL":
            raise ValueError("this item is broken on purpose")
        article = self.find("post", source_id, ArticlePage)
        if article is None:
            article = ArticlePage(
                title=title,
                slug=slugify(f"{title}-{source_id}"),
                standfirst=f"Imported item {source_id}.",
                body=[("paragraph", f"<p>{title}, as it was on the old site.</p>")],
            )
            self.section().add_child(instance=article)
            self.report.count("post", "created")
        else:
            article.title = title
            self.report.count("post", "updated")
        article.save_revision().publish()
        self.remember("post", source_id, article)


@contextmanager
def tiny_importer():
    """Register the tiny importer for the duration of a test."""
    TinyImporter.seen_options = []
    importing.register_importer(KIND)(TinyImporter)
    try:
        yield TinyImporter
    finally:
        importing._importers.pop(KIND, None)
