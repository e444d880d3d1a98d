"""Build and remove the demo outlet: pages, pictures, people and site settings.

The words come from the content files (read by ``loader``), the pictures are drawn by
``images``. The whole build runs in one transaction, so a failure leaves no half-built demo
behind, and the "Demo" image collection doubles as the marker that the demo is already there.
"""

import io
import time
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.files.images import ImageFile
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape
from wagtail.images import get_image_model
from wagtail.models import Collection, PageLogEntry, Revision, Site
from wagtail.utils.file import hash_filelike

from masthead.core.models import SiteSettings
from masthead.publishing.demo import images
from masthead.publishing.demo.loader import load_demo_content
from masthead.publishing.models import (
    ArticleAuthor,
    ArticleCorrection,
    ArticlePage,
    ArticleSource,
    AuthorIndexPage,
    AuthorPage,
    CorrectionsPage,
    HomePage,
    SectionPage,
    StandardPage,
)

DEMO_COLLECTION_NAME = "Demo"
DEMO_PASSWORD = "masthead-demo"  # noqa: S105 - the documented password of the demo accounts


@dataclass
class DemoSummary:
    """What a build created, for the command to report."""

    sections: int
    authors: int
    articles: int
    pages: int
    images: int
    users: int
    seconds: float


def demo_is_present():
    """Whether the demo outlet has already been built (one indexed query, for fast start-up)."""
    return Collection.objects.filter(name=DEMO_COLLECTION_NAME).exists()


def default_home_page():
    """The HomePage the default Wagtail site starts at; the demo is built under it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None:
        raise ImproperlyConfigured("There is no default Wagtail site; run migrate first.")
    home = site.root_page.specific
    if not isinstance(home, HomePage):
        raise ImproperlyConfigured("The default site's root page is not a Masthead home page.")
    return site, home


def demo_page_slugs(content):
    """The slugs of the pages the demo puts directly under the home page."""
    return [
        *(section.slug for section in content.sections),
        content.author_index.slug,
        *(page.slug for page in content.standard_pages),
        content.corrections_page.slug,
    ]


@transaction.atomic
def remove_demo():
    """Delete the demo's pages (with everything under them), pictures and accounts."""
    content = load_demo_content()
    _site, home = default_home_page()
    for page in home.get_children().filter(slug__in=demo_page_slugs(content)).specific():
        page.delete()
    get_user_model().objects.filter(
        username__in=[account.username for account in content.accounts]
    ).delete()
    for collection in Collection.objects.filter(name=DEMO_COLLECTION_NAME):
        get_image_model().objects.filter(collection=collection).delete()
        collection.delete()


def build_demo_part():
    """Build the publication's share of the demo and say what was built, in one line."""
    summary = build_demo()
    return (
        f"Built the demo outlet in {summary.seconds:.1f}s: {summary.sections} sections, "
        f"{summary.authors} authors, {summary.articles} articles, {summary.pages} pages, "
        f"{summary.images} images, {summary.users} accounts."
    )


@transaction.atomic
def build_demo():
    """Build the whole demo outlet under the default site's home page."""
    started = time.monotonic()
    content = load_demo_content()
    site, home = default_home_page()
    now = timezone.now()
    collection = Collection.get_first_root_node().add_child(name=DEMO_COLLECTION_NAME)
    users = _create_users(content.accounts)
    outlet = content.outlet
    logo = save_image(
        collection, f"{outlet.name} logo", images.wordmark_logo(outlet.name), "logo.png"
    )
    _configure_site(site, outlet, logo)

    admin = users["admin"]
    sections = {
        section.slug: _publish(
            home,
            SectionPage(
                title=section.title,
                slug=section.slug,
                introduction=section.introduction,
                show_in_menus=True,
            ),
            admin,
        )
        for section in content.sections
    }
    author_index = _publish(
        home,
        AuthorIndexPage(
            title=content.author_index.title,
            slug=content.author_index.slug,
            introduction=content.author_index.introduction,
        ),
        admin,
    )
    contributor = content.contributor_author
    authors = {
        author.key: _create_author(author_index, author, contributor, collection, users, admin)
        for author in content.authors
    }
    articles = [
        _create_article(sections, authors, article, content, collection, users, now)
        for article in sorted(content.articles, key=lambda article: -article.days_ago)
    ]
    for page in content.standard_pages:
        _publish(
            home,
            StandardPage(
                title=page.title,
                slug=page.slug,
                introduction=page.introduction,
                body=_stream(page.body, collection, outlet.credit),
                show_in_menus=True,
            ),
            admin,
        )
    _publish(
        home,
        CorrectionsPage(
            title=content.corrections_page.title,
            slug=content.corrections_page.slug,
            introduction=content.corrections_page.introduction,
        ),
        admin,
    )

    home = HomePage.objects.get(pk=home.pk)
    home.lead_story = min(articles, key=lambda article: article.first_published_at)
    home.save_revision(user=admin).publish(user=admin)

    return DemoSummary(
        sections=len(sections),
        authors=len(authors),
        articles=len(articles),
        pages=len(sections) + len(authors) + len(articles) + len(content.standard_pages) + 3,
        images=get_image_model().objects.filter(collection=collection).count(),
        users=len(users),
        seconds=time.monotonic() - started,
    )


def _create_users(accounts):
    User = get_user_model()
    users = {}
    for account in accounts:
        user, _created = User.objects.get_or_create(username=account.username)
        user.email = account.email
        user.first_name = account.first_name
        user.last_name = account.last_name
        user.is_superuser = user.is_staff = account.superuser
        user.is_active = True
        user.set_password(DEMO_PASSWORD)
        user.save()
        if account.group:
            # Another migration may have created and configured the group already.
            group, _created = Group.objects.get_or_create(name=account.group)
            user.groups.add(group)
        users[account.username] = user
    return users


def _configure_site(site, outlet, logo):
    site.site_name = outlet.name
    site.save()
    settings = SiteSettings.for_site(site)
    settings.outlet_name = outlet.name
    settings.strapline = outlet.strapline
    settings.description = outlet.description
    settings.contact_email = outlet.contact_email
    settings.founding_year = outlet.founding_year
    settings.logo = logo
    settings.newsletter_url = outlet.newsletter_url
    settings.donate_url = outlet.donate_url
    for network, url in outlet.social.items():
        setattr(settings, network, url)
    settings.save()


def save_image(collection, title, data, filename):
    """Store drawn picture bytes as a Wagtail image in ``collection``."""
    image = get_image_model()(
        title=title,
        collection=collection,
        file=ImageFile(io.BytesIO(data), name=filename),
        file_size=len(data),
        file_hash=hash_filelike(io.BytesIO(data)),
    )
    image.save()
    return image


def _publish(parent, page, user, published_at=None):
    """Add ``page`` under ``parent`` and publish it through a revision, as an editor would."""
    parent.add_child(instance=page)
    revision = page.save_revision(user=user)
    # The demo is built by the system, not by a signed-in editor: no permission to check.
    revision.publish(user=user, skip_permission_checks=True)
    page.refresh_from_db()
    if published_at is not None:
        _backdate(page, revision, published_at)
    return page


def _backdate(page, revision, published_at):
    """Make the page look as if it was published at ``published_at``, so listings, feeds and
    the admin's history show a month of work rather than one busy second."""
    type(page).objects.filter(pk=page.pk).update(
        first_published_at=published_at,
        last_published_at=published_at,
        latest_revision_created_at=published_at,
    )
    Revision.objects.filter(pk=revision.pk).update(created_at=published_at)
    PageLogEntry.objects.filter(page=page).update(timestamp=published_at)
    page.first_published_at = page.last_published_at = published_at


def _create_author(author_index, spec, contributor, collection, users, user):
    photo = save_image(
        collection,
        spec.name,
        images.initials_avatar(spec.name, seed=spec.key),
        f"author-{spec.key}.jpg",
    )
    handle = spec.handle
    author = AuthorPage(
        title=spec.name,
        slug=handle,
        role=spec.role,
        bio=f"<p>{escape(spec.bio)}</p>",
        photo=photo,
        user=users["contributor"] if spec.key == contributor else None,
        website=f"https://{handle}.example",
        bluesky=f"https://bsky.app/profile/{handle}.example",
        mastodon=f"https://social.example/@{handle}",
        instagram=f"https://www.instagram.com/{handle}" if len(handle) % 2 else "",
        public_email=spec.public_email,
    )
    return _publish(author_index, author, user)


def _create_article(sections, authors, spec, content, collection, users, now):
    published_at = now - timedelta(days=spec.days_ago)
    seed = spec.slug
    credit = content.outlet.credit
    hero = save_image(
        collection,
        spec.hero_alt_text,
        images.hero_picture(seed, palette_index=len(seed), motif=spec.motif),
        f"{seed[:60]}.jpg",
    )
    page = ArticlePage(
        title=spec.title,
        slug=spec.slug,
        standfirst=spec.standfirst,
        article_type=spec.article_type,
        hero_image=hero,
        hero_alt_text=spec.hero_alt_text,
        hero_caption=spec.hero_caption,
        hero_credit=credit,
        body=_stream(spec.body, collection, credit),
        search_description=spec.standfirst,
    )
    page.article_authors = [ArticleAuthor(author=authors[key]) for key in spec.authors]
    page.sources = [
        ArticleSource(
            title=source.title,
            publisher=source.publisher,
            url=source.url,
            date=(published_at - timedelta(days=source.days_before)).date(),
        )
        for source in spec.sources
    ]
    correction = spec.correction
    if correction:
        page.corrections = [
            ArticleCorrection(
                kind=correction.kind,
                date=published_at + timedelta(days=correction.days_after),
                text=correction.text,
            )
        ]
    page.tags.add(*spec.tags)
    # Volunteers' pieces go through the contributor account, the rest through the editor.
    volunteer = content.contributor_author in spec.authors
    writer = users["contributor"] if volunteer else users["editor"]
    return _publish(sections[spec.section], page, writer, published_at)


def _stream(blocks, collection, credit):
    """StreamField data for a body read from a content file: its ``Block``s."""
    stream = []
    for block in blocks:
        block_type, value = block.type, block.value
        if block_type == "paragraph":
            value = f"<p>{escape(value)}</p>"
        elif block_type == "callout":
            items = "".join(f"<li>{escape(item)}</li>" for item in value["items"])
            value = {"title": value["title"], "body": f"<ul>{items}</ul>", "tone": value["tone"]}
        elif block_type == "image":
            image = save_image(
                collection,
                value["alt_text"],
                images.hero_picture(value["seed"], motif=value["motif"]),
                f"{value['seed']}.jpg",
            )
            value = {
                "image": image.pk,
                "alt_text": value["alt_text"],
                "caption": value["caption"],
                "credit": credit,
            }
        stream.append({"type": block_type, "value": value})
    return stream
