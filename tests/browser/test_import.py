"""An Administrator moves an outlet in from WordPress in a real Chromium: signs in to the
admin, opens Import and export → Import, uploads a small WXR export (written here, with
its images in an uploads folder made with Pillow) with a category mapped to a section,
and watches the run wait for the task worker, then (the real database task worker runs)
reach done with its report; opens an imported article on the site, with its archived
comments shown, and follows the old WordPress addresses (``/?p=<id>`` and the permalink)
to it. At desktop width only (one run keeps CI short); screenshots go to
tests/artifacts/screenshots/.
"""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from masthead.publishing.models import ArticlePage
from masthead.publishing.roles import ADMINISTRATORS
from masthead.transfer.models import ArchivedComment, ImportRun, TransferSettings
from tests.publishing.factories import make_section, make_site_tree

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-test-password-for-the-newsroom"
OLD_SITE = "https://old.harbourside.example"

WXR = f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
    xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
    xmlns:content="http://purl.org/rss/1.0/modules/content/"
    xmlns:wfw="http://wellformedweb.org/CommentAPI/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
  <title>Harbourside Post</title>
  <link>{OLD_SITE}</link>
  <description>News from the quays</description>
  <language>en-GB</language>
  <wp:wxr_version>1.2</wp:wxr_version>
  <wp:base_site_url>{OLD_SITE}</wp:base_site_url>
  <wp:base_blog_url>{OLD_SITE}</wp:base_blog_url>
  <wp:author><wp:author_id>7</wp:author_id><wp:author_login><![CDATA[ines]]></wp:author_login>
    <wp:author_email><![CDATA[ines@harbourside.example]]></wp:author_email>
    <wp:author_display_name><![CDATA[Ines Marlow]]></wp:author_display_name></wp:author>
  <wp:category><wp:term_id>3</wp:term_id>
    <wp:category_nicename><![CDATA[quayside]]></wp:category_nicename>
    <wp:category_parent><![CDATA[]]></wp:category_parent>
    <wp:cat_name><![CDATA[Quayside]]></wp:cat_name></wp:category>
  <wp:tag><wp:term_id>4</wp:term_id><wp:tag_slug><![CDATA[locks]]></wp:tag_slug>
    <wp:tag_name><![CDATA[Locks]]></wp:tag_name></wp:tag>

  <item>
    <title><![CDATA[The lock gates at dusk]]></title>
    <link>{OLD_SITE}/2020/05/lock-gates/</link>
    <dc:creator><![CDATA[ines]]></dc:creator>
    <guid isPermaLink="false">{OLD_SITE}/wp-content/uploads/2020/05/lock-gates.jpg</guid>
    <wp:post_id>310</wp:post_id>
    <wp:post_date_gmt><![CDATA[2020-05-12 07:00:00]]></wp:post_date_gmt>
    <wp:post_name><![CDATA[lock-gates]]></wp:post_name>
    <wp:status><![CDATA[inherit]]></wp:status>
    <wp:post_parent>301</wp:post_parent>
    <wp:post_type><![CDATA[attachment]]></wp:post_type>
    <wp:attachment_url><![CDATA[{OLD_SITE}/wp-content/uploads/2020/05/lock-gates.jpg]]></wp:attachment_url>
    <wp:postmeta><wp:meta_key><![CDATA[_wp_attached_file]]></wp:meta_key>
      <wp:meta_value><![CDATA[2020/05/lock-gates.jpg]]></wp:meta_value></wp:postmeta>
  </item>

  <item>
    <title><![CDATA[Lock gates reopen after a winter of repairs]]></title>
    <link>{OLD_SITE}/2020/05/12/lock-gates-reopen/</link>
    <pubDate>Tue, 12 May 2020 08:30:00 +0000</pubDate>
    <dc:creator><![CDATA[ines]]></dc:creator>
    <guid isPermaLink="false">{OLD_SITE}/?p=301</guid>
    <description></description>
    <content:encoded><![CDATA[<!-- wp:paragraph -->
<p>The lock gates at the harbour mouth opened again on Monday after five months of repairs.</p>
<!-- /wp:paragraph -->

<!-- wp:heading {{"level":3}} -->
<h3>What was done</h3>
<!-- /wp:heading -->

<!-- wp:paragraph -->
<p>Divers replaced the seals and the old timber was swapped for oak.</p>
<!-- /wp:paragraph -->]]></content:encoded>
    <excerpt:encoded><![CDATA[Boats can reach the inner basin again.]]></excerpt:encoded>
    <wp:post_id>301</wp:post_id>
    <wp:post_date><![CDATA[2020-05-12 09:30:00]]></wp:post_date>
    <wp:post_date_gmt><![CDATA[2020-05-12 08:30:00]]></wp:post_date_gmt>
    <wp:comment_status><![CDATA[open]]></wp:comment_status>
    <wp:post_name><![CDATA[lock-gates-reopen]]></wp:post_name>
    <wp:status><![CDATA[publish]]></wp:status>
    <wp:post_parent>0</wp:post_parent>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    <wp:is_sticky>0</wp:is_sticky>
    <category domain="category" nicename="quayside"><![CDATA[Quayside]]></category>
    <category domain="post_tag" nicename="locks"><![CDATA[Locks]]></category>
    <wp:postmeta><wp:meta_key><![CDATA[_thumbnail_id]]></wp:meta_key>
      <wp:meta_value><![CDATA[310]]></wp:meta_value></wp:postmeta>
    <wp:comment>
      <wp:comment_id>41</wp:comment_id>
      <wp:comment_author><![CDATA[Harbour watcher]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[watcher@example.org]]></wp:comment_author_email>
      <wp:comment_author_url>https://watcher.example.org/</wp:comment_author_url>
      <wp:comment_author_IP><![CDATA[192.0.2.10]]></wp:comment_author_IP>
      <wp:comment_date_gmt><![CDATA[2020-05-12 12:00:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[Good to see the boats back in the basin.]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[comment]]></wp:comment_type>
      <wp:comment_parent>0</wp:comment_parent>
    </wp:comment>
    <wp:comment>
      <wp:comment_id>42</wp:comment_id>
      <wp:comment_author><![CDATA[Ines Marlow]]></wp:comment_author>
      <wp:comment_author_email><![CDATA[ines@harbourside.example]]></wp:comment_author_email>
      <wp:comment_date_gmt><![CDATA[2020-05-12 13:15:00]]></wp:comment_date_gmt>
      <wp:comment_content><![CDATA[They are: the first went through at noon.]]></wp:comment_content>
      <wp:comment_approved><![CDATA[1]]></wp:comment_approved>
      <wp:comment_type><![CDATA[comment]]></wp:comment_type>
      <wp:comment_parent>41</wp:comment_parent>
    </wp:comment>
  </item>

  <item>
    <title><![CDATA[Fish market moves to the north quay]]></title>
    <link>{OLD_SITE}/2020/06/02/fish-market-moves/</link>
    <dc:creator><![CDATA[ines]]></dc:creator>
    <guid isPermaLink="false">{OLD_SITE}/?p=302</guid>
    <content:encoded><![CDATA[The Saturday fish market will set up on the north quay from June.

Stallholders asked for more shelter from the wind.]]></content:encoded>
    <excerpt:encoded><![CDATA[]]></excerpt:encoded>
    <wp:post_id>302</wp:post_id>
    <wp:post_date_gmt><![CDATA[2020-06-02 10:00:00]]></wp:post_date_gmt>
    <wp:post_name><![CDATA[fish-market-moves]]></wp:post_name>
    <wp:status><![CDATA[publish]]></wp:status>
    <wp:post_parent>0</wp:post_parent>
    <wp:post_type><![CDATA[post]]></wp:post_type>
    <category domain="category" nicename="quayside"><![CDATA[Quayside]]></category>
  </item>
</channel>
</rss>
"""


@pytest.fixture
def viewport():
    """Desktop only: an import is an Administrator's desk job, and the flow is long."""
    return "desktop"


@pytest.fixture
def outlet(settings, live_server, tmp_path):
    """An outlet with a Harbour section, an Administrator, archived comments shown, and
    imports queued for the real database task worker rather than run at once."""
    cache.clear()
    settings.SITE_URL = live_server.url
    settings.TRANSFER_UPLOAD_DIR = tmp_path / "import-uploads"
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tree = make_site_tree()
    make_section(tree.home, "Harbour")
    setting = TransferSettings.for_site(tree.site)
    setting.show_archived_comments = True
    setting.save()
    administrator = User.objects.create_user(
        "chief", "chief@newsroom.test", PASSWORD, first_name="Cal", last_name="Chief"
    )
    administrator.groups.add(Group.objects.get(name=ADMINISTRATORS))
    uploads = tmp_path / "wp-content" / "uploads"
    (uploads / "2020" / "05").mkdir(parents=True)
    Image.new("RGB", (1200, 800), (32, 78, 110)).save(uploads / "2020" / "05" / "lock-gates.jpg")
    export = tmp_path / "harbourside.WordPress.2020-06-30.xml"
    export.write_text(WXR, encoding="utf-8")
    yield {"export": export, "uploads": uploads}
    cache.clear()


def test_an_administrator_imports_a_wordpress_file_and_old_addresses_reach_it(
    live_server, page, screenshot, outlet
):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("main")).to_contain_text("Cal")

    page.get_by_role("button", name="Import and export").click()
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.locator("h1")).to_have_text("Imports")
    page.get_by_role("link", name="New import").click()
    expect(page.locator("h1")).to_have_text("New import")

    page.get_by_label("WordPress (the WXR file from Tools → Export)").check()
    page.locator("input[type=file][name=files]").set_input_files(str(outlet["export"]))
    page.get_by_label("Categories to sections").fill("quayside = Harbour")
    page.get_by_label("Images folder on this server").fill(str(outlet["uploads"]))
    screenshot("import-form")
    page.get_by_role("button", name="Start the import").click()

    # Queued: the page waits for the worker and reloads itself.
    expect(page.locator("[data-status]")).to_have_text("Queued")
    expect(page.locator("[data-progress]")).to_contain_text("Waiting for the task worker")
    screenshot("import-queued")

    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.DONE, run.error

    # The page reloads itself (no script) and shows the finished run and its report.
    expect(page.locator("[data-status]")).to_have_text("Done")
    progress = page.locator("[data-progress]")
    expect(progress).to_contain_text(f"{run.total} of {run.total} items (100%)")
    expect(page.locator("[data-report-counts]")).to_contain_text("post")
    expect(page.locator("[data-run-error]")).to_have_count(0)
    screenshot("import-report")
    # The two articles are linked; the section and author page they were matched to are not.
    expect(page.locator("[data-imported-pages] li")).to_have_count(2)
    page.locator("[data-imported-pages]").scroll_into_view_if_needed()
    screenshot("import-report-pages")

    article = ArticlePage.objects.get(title="Lock gates reopen after a winter of repairs")
    assert article.get_parent().title == "Harbour"
    assert article.hero_image is not None
    assert ArchivedComment.objects.filter(article=article).count() == 2
    assert ArticlePage.objects.filter(title="Fish market moves to the north quay").exists()

    page.locator("[data-imported-pages]").get_by_role("link", name=article.title).click()
    expect(page).to_have_url(live_server.url + article.url)
    expect(page.locator("h1.article__headline")).to_have_text(article.title)
    expect(page.locator(".article__standfirst")).to_have_text(
        "Boats can reach the inner basin again."
    )
    expect(page.locator(".article__dates time").first).to_have_attribute(
        "datetime", re.compile(r"^2020-05-12T")
    )
    comments = page.locator("#archived-comments")
    expect(comments).to_contain_text("Good to see the boats back in the basin.")
    expect(comments.locator(".archived-comment--reply")).to_contain_text(
        "the first went through at noon"
    )
    screenshot("import-article")

    # The old site's addresses lead to the article.
    page.goto(live_server.url + "/?p=301")
    expect(page).to_have_url(live_server.url + article.url)
    page.goto(live_server.url + "/2020/05/12/lock-gates-reopen/")
    expect(page).to_have_url(live_server.url + article.url)
    expect(page.locator("h1.article__headline")).to_have_text(article.title)
