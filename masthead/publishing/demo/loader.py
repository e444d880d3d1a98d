"""Read the demo outlet's words from the files in ``content/``, so they are data, not code.

An editor can read and change the demo without touching Python:

- ``outlet.toml``: the outlet's identity and links, its sections, the writers' index, the
  writers, the demo accounts, the corrections page, and the order of the plain pages.
- ``pages/<slug>.txt``: one plain page each (About us, Privacy, ...).
- ``articles/<slug>.txt``: one article each.
- ``generated_articles.toml``: the words ``generate_articles`` makes bulk articles from.

A page or article file starts with its fields as TOML between two ``+++`` lines (an
article's sources are ``[[sources]]`` tables, a correction or update a ``[correction]``
table), and its body follows, block after block:

- a paragraph is plain text over one or more lines, ended by a blank line (none of its
  lines may start with ``#`` or ``:::``);
- ``## Heading`` is a heading, ``### Subheading`` a subheading;
- every other block is fenced: a line ``::: statistic``, the block's fields as TOML, and a
  line ``:::``. ``BLOCK_FIELDS`` lists the blocks and their fields; a field with a
  default may be left out. An ``image`` is drawn from its ``seed`` when the demo is built.

Anything else raises ``DemoContentError`` naming the file, and the line where it helps.
"""

import tomllib
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

CONTENT_DIR = Path(__file__).resolve().parent / "content"

REQUIRED = object()

# The fenced blocks a body may hold, with their fields in the order StreamField stores
# them; each value is the field's default, or REQUIRED.
BLOCK_FIELDS = {
    "image": {"seed": REQUIRED, "alt_text": REQUIRED, "caption": REQUIRED, "motif": None},
    "pull_quote": {"text": REQUIRED},
    "block_quote": {"quote": REQUIRED, "attribution": REQUIRED, "role": "", "source_url": ""},
    "embed": {"url": REQUIRED, "title": REQUIRED, "caption": ""},
    "statistic": {
        "figure": REQUIRED,
        "label": REQUIRED,
        "source_title": REQUIRED,
        "source_url": "",
    },
    "callout": {"title": REQUIRED, "items": REQUIRED, "tone": "info"},
}
HEADING_LEVELS = {"##": "h2", "###": "h3"}
FRONT_MATTER_FENCE = "+++"
BLOCK_FENCE = ":::"


class DemoContentError(ValueError):
    """A demo content file that cannot be read, with the file (and line) to fix."""


@dataclass(frozen=True)
class Block:
    """One block of a body: its StreamField type and the value the builder turns into it."""

    type: str
    value: object


@dataclass(frozen=True)
class Outlet:
    """The outlet's identity, contact details and links, for its site settings."""

    name: str
    strapline: str
    description: str
    contact_email: str
    founding_year: int
    credit: str
    social: dict
    newsletter_url: str
    donate_url: str


@dataclass(frozen=True)
class ListingPage:
    """A page with a title and an introduction only: a section, the writers' index, the
    corrections page."""

    slug: str
    title: str
    introduction: str


@dataclass(frozen=True)
class Author:
    """A writer, known to articles by ``key``; ``handle`` makes their slug and links."""

    key: str
    name: str
    role: str
    bio: str
    handle: str
    public_email: str


@dataclass(frozen=True)
class Account:
    """A demo sign-in account, with the group that gives it its role."""

    username: str
    email: str
    first_name: str
    last_name: str
    superuser: bool = False
    group: str | None = None


@dataclass(frozen=True)
class StandardPageContent:
    """A plain page such as About us."""

    slug: str
    title: str
    introduction: str
    body: tuple


@dataclass(frozen=True)
class Source:
    """A source an article cites, dated some days before the article."""

    title: str
    publisher: str
    url: str
    days_before: int


@dataclass(frozen=True)
class Correction:
    """A correction or update to an article, made some days after it was published."""

    kind: str
    days_after: float
    text: str


@dataclass(frozen=True)
class ArticleContent:
    """An article, published ``days_ago`` days before the demo is built."""

    slug: str
    title: str
    standfirst: str
    article_type: str
    section: str
    authors: tuple
    tags: tuple
    days_ago: float
    motif: str
    hero_alt_text: str
    hero_caption: str
    body: tuple
    sources: tuple = ()
    correction: Correction | None = None


@dataclass(frozen=True)
class DemoContent:
    """Everything the demo outlet is built from."""

    outlet: Outlet
    sections: tuple
    author_index: ListingPage
    authors: tuple
    contributor_author: str
    accounts: tuple
    standard_pages: tuple
    corrections_page: ListingPage
    articles: tuple


@dataclass(frozen=True)
class GeneratorWords:
    """What bulk articles are made of: headlines and sentences with ``{place}``-style
    blanks, and the words that fill them."""

    places: list
    subjects: list
    headlines: list
    activities: list
    facilities: list
    sentences: list
    tags: list


def load_demo_content(directory=CONTENT_DIR):
    """Read every demo content file under ``directory``."""
    path = directory / "outlet.toml"
    data = _read_toml(path)
    for name, cls in (
        ("outlet", Outlet),
        ("author_index", ListingPage),
        ("corrections_page", ListingPage),
    ):
        if name in data:
            data[name] = _make(cls, data[name], f"{path}, [{name}]")
    for name, cls in (("sections", ListingPage), ("authors", Author), ("accounts", Account)):
        if name in data:
            data[name] = tuple(_make(cls, item, f"{path}, [[{name}]]") for item in data[name])
    if "standard_pages" in data:
        data["standard_pages"] = _standard_pages(directory, data["standard_pages"], path)
    articles = tuple(read_article(file) for file in sorted((directory / "articles").glob("*.txt")))
    return _make(DemoContent, data, str(path), articles=articles)


def _standard_pages(directory, slugs, outlet_path):
    """The plain pages in the order ``outlet.toml`` lists them; a page file it does not
    list is refused rather than left out unnoticed."""
    files = {file.stem: file for file in (directory / "pages").glob("*.txt")}
    unlisted = sorted(files.keys() - set(slugs))
    if unlisted:
        raise DemoContentError(
            f"{files[unlisted[0]]}: not listed in standard_pages in {outlet_path}"
        )
    for slug in slugs:
        if slug not in files:
            raise DemoContentError(
                f"{outlet_path}: standard page {slug!r} has no file "
                f"{directory / 'pages' / f'{slug}.txt'}"
            )
    return tuple(read_standard_page(files[slug]) for slug in slugs)


def load_generator_words(directory=CONTENT_DIR):
    """Read the words bulk articles are made of."""
    path = directory / "generated_articles.toml"
    words = _read_toml(path)
    if "subjects" in words:
        # Each subject is a pair: what it is, and the people who speak for it.
        words["subjects"] = [tuple(pair) for pair in words["subjects"]]
    return _make(GeneratorWords, words, str(path))


def read_standard_page(path):
    """Read one plain page's file."""
    front_matter, body = _read_page_file(path)
    return _make(StandardPageContent, front_matter, str(path), slug=path.stem, body=body)


def read_article(path):
    """Read one article's file."""
    front_matter, body = _read_page_file(path)
    where = str(path)
    front_matter["sources"] = tuple(
        _make(Source, source, f"{where}, [[sources]]") for source in front_matter.get("sources", ())
    )
    if "correction" in front_matter:
        front_matter["correction"] = _make(
            Correction, front_matter["correction"], f"{where}, [correction]"
        )
    for name in ("authors", "tags"):
        if name in front_matter:
            front_matter[name] = tuple(front_matter[name])
    return _make(ArticleContent, front_matter, where, slug=path.stem, body=body)


def _read_toml(path):
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        raise DemoContentError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(f"{path}: {error}") from error


def _read_page_file(path):
    """A page file's front matter (a dict) and its body (a tuple of ``Block``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise DemoContentError(
            f"{path}: line 1: the file must start with a {FRONT_MATTER_FENCE} line"
        )
    try:
        end = next(
            number
            for number, line in enumerate(lines[1:], start=1)
            if line.strip() == FRONT_MATTER_FENCE
        )
    except StopIteration:
        raise DemoContentError(
            f"{path}: the front matter has no closing {FRONT_MATTER_FENCE} line"
        ) from None
    try:
        front_matter = tomllib.loads("\n".join(lines[1:end]))
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(f"{path}: front matter: {error}") from error
    return front_matter, _parse_body(lines, end + 1, path)


def _parse_body(lines, start, path):
    """The blocks of a body: ``lines`` from index ``start`` on."""
    blocks = []
    paragraph = []  # the lines of the paragraph being read
    fence = None  # (block type, line number, field lines) of the fenced block being read
    for number, line in enumerate(lines[start:], start=start + 1):
        stripped = line.strip()
        if fence is not None:
            if stripped == BLOCK_FENCE:
                blocks.append(_fenced_block(*fence, path))
                fence = None
            else:
                fence[2].append(line)
            continue
        if paragraph and (not stripped or stripped.startswith(("#", BLOCK_FENCE))):
            # A blank line ends a paragraph, and so does a heading or a fenced block.
            blocks.append(Block("paragraph", " ".join(paragraph)))
            paragraph = []
        if stripped.startswith(BLOCK_FENCE):
            fence = (stripped.removeprefix(BLOCK_FENCE).strip(), number, [])
        elif stripped.startswith("#"):
            blocks.append(_heading(stripped, f"{path}: line {number}"))
        elif stripped:
            paragraph.append(stripped)
    if fence is not None:
        raise DemoContentError(
            f"{path}: line {fence[1]}: the {fence[0]} block has no closing {BLOCK_FENCE} line"
        )
    if paragraph:
        blocks.append(Block("paragraph", " ".join(paragraph)))
    return tuple(blocks)


def _heading(line, where):
    marker, _space, text = line.partition(" ")
    if marker not in HEADING_LEVELS or not text.strip():
        raise DemoContentError(
            f"{where}: a heading is '## Heading' or '### Subheading', and a paragraph's "
            "line cannot start with #"
        )
    return Block("heading", {"text": text.strip(), "level": HEADING_LEVELS[marker]})


def _fenced_block(block_type, number, field_lines, path):
    where = f"{path}: line {number}"
    if block_type not in BLOCK_FIELDS:
        raise DemoContentError(
            f"{where}: unknown block type {block_type!r}; a fenced block is one of "
            f"{', '.join(BLOCK_FIELDS)}"
        )
    try:
        values = tomllib.loads("\n".join(field_lines))
    except tomllib.TOMLDecodeError as error:
        raise DemoContentError(f"{where}: the {block_type} block's fields: {error}") from error
    return Block(block_type, _checked(values, BLOCK_FIELDS[block_type], where))


def _make(cls, values, where, **given):
    """A ``cls`` from a file's ``values``, refusing fields it does not have or lacks."""
    if not isinstance(values, dict):
        raise DemoContentError(f"{where}: expected a table of fields")
    expected = {
        field.name: REQUIRED if field.default is MISSING else field.default
        for field in fields(cls)
        if field.name not in given
    }
    return cls(**_checked(values, expected, where), **given)


def _checked(values, expected, where):
    """``values`` with defaults filled in, in the order of ``expected`` (name: default)."""
    for name in values:
        if name not in expected:
            raise DemoContentError(
                f"{where}: unknown field {name!r}; expected {', '.join(expected)}"
            )
    for name, default in expected.items():
        if default is REQUIRED and name not in values:
            raise DemoContentError(f"{where}: missing field {name!r}")
    return {name: values.get(name, default) for name, default in expected.items()}
