"""WordPress import benchmark: a WXR of 10,000 posts referencing 20,000 images, imported
into a fresh database, timed, with the import's peak memory.

It generates, under bench/work/import-wordpress/ (thrown away first): a ``wp-content/
uploads`` folder of ``2 x --posts`` small JPEGs made with Pillow (each a different colour,
under year/month folders as WordPress keeps them), and a WXR 1.2 file with two authors,
five categories, one attachment item per image and ``--posts`` published posts, each with
block editor markup (paragraphs, a heading, a list, a captioned image of its own), tags,
an excerpt, a featured image (``_thumbnail_id``) and two approved comments. Then, in a
child process on a freshly migrated database, it runs the import (``run_import``, as
``masthead import wordpress`` does, with ``uploads_dir``) and prints how long it took, the
child's peak resident memory (``getrusage``'s ``ru_maxrss``, which includes Django and
Wagtail themselves) and the CPU time the import used (on a machine others share, the
wall-clock time depends on their load; the CPU time much less), the same two for the
worker process the import forks for the work that needs no database
(``masthead.transfer.ahead``; its resident memory is mostly pages it still shares with
the importing process), the report's counts, and
checks what it made: every post an article with a revision, every image a Wagtail image,
two redirects per post. The import queues one reference and search index task per batch
(``masthead.transfer.indexing``); the benchmark runs them after the import, as the task
worker would, and prints their time apart, with the number of search index entries.

    .venv/bin/python bench/import_wordpress.py                 # 10,000 posts on SQLite
    .venv/bin/python bench/import_wordpress.py --posts 1000 --no-record
    .venv/bin/python bench/import_wordpress.py --postgres postgres://postgres@127.0.0.1:5432/postgres

Targets (issue 14): under 5 minutes and under 500 MiB. Appends one dated line per database,
with the commit, to bench/RESULTS.md.
"""

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pages import (
    PYTHON,
    ROOT,
    WORK,
    append_result,
    base_environment,
    git_commit,
    last_json_line,
    log,
    masthead,
    on_each_database,
)

SITE = "https://old.bench.example"
CATEGORIES = ["news", "politics", "business", "culture", "sport"]
WORDS = [
    "river", "council", "bridge", "ferry", "market", "library", "school", "harbour", "budget",
    "meeting", "street", "festival", "station", "garden", "museum", "election", "hospital",
    "road", "weather", "plan",
]  # fmt: skip

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/">
<channel>
	<title>Benchmark Weekly</title>
	<link>{site}</link>
	<description>Generated for the import benchmark</description>
	<language>en-GB</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>{site}</wp:base_site_url>
	<wp:base_blog_url>{site}</wp:base_blog_url>
"""


def cdata(text):
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def sentence(rng, words=12):
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def image_url(number):
    year = 2015 + number % 8
    month = 1 + number % 12
    return f"{SITE}/wp-content/uploads/{year}/{month:02d}/picture-{number}.jpg"


def make_uploads(folder, count):
    from PIL import Image as PillowImage

    for number in range(count):
        relative = image_url(number).split("/wp-content/uploads/", 1)[1]
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        colour = ((number * 37) % 256, (number * 91) % 256, (number * 53) % 256)
        buffer = io.BytesIO()
        PillowImage.new("RGB", (64, 48), colour).save(buffer, format="JPEG", quality=70)
        path.write_bytes(buffer.getvalue())


def attachment_item(number):
    url = image_url(number)
    return f"""	<item>
		<title>{cdata(f"Picture {number}")}</title>
		<link>{SITE}/picture-{number}/</link>
		<dc:creator>{cdata("editor")}</dc:creator>
		<guid isPermaLink="false">{escape(url)}</guid>
		<wp:post_id>{100000 + number}</wp:post_id>
		<wp:post_date_gmt>{cdata("2015-01-01 00:00:00")}</wp:post_date_gmt>
		<wp:post_name>{cdata(f"picture-{number}")}</wp:post_name>
		<wp:status>{cdata("inherit")}</wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:post_type>{cdata("attachment")}</wp:post_type>
		<wp:attachment_url>{cdata(url)}</wp:attachment_url>
	</item>
"""


def post_item(number, rng, start):
    post_id = number + 1
    date = start + timedelta(hours=7 * number)
    stamp = date.strftime("%Y-%m-%d %H:%M:%S")
    slug = f"story-{post_id}"
    featured, inline = 2 * number, 2 * number + 1
    body = "\n\n".join(
        [
            f"<!-- wp:paragraph -->\n<p>{sentence(rng, 30)} <strong>{sentence(rng, 6)}</strong>"
            f' <a href="https://example.org/{post_id}">{sentence(rng, 3)}</a></p>\n'
            "<!-- /wp:paragraph -->",
            f"<!-- wp:heading -->\n<h2>{sentence(rng, 5)}</h2>\n<!-- /wp:heading -->",
            f"<!-- wp:paragraph -->\n<p>{sentence(rng, 40)}</p>\n<!-- /wp:paragraph -->",
            f'<!-- wp:image {{"id":{100000 + inline}}} -->\n<figure class="wp-block-image">'
            f'<img src="{image_url(inline)}" alt="{sentence(rng, 4)}"/>'
            f"<figcaption>{sentence(rng, 8)}</figcaption></figure>\n<!-- /wp:image -->",
            "<!-- wp:list -->\n<ul>"
            + "".join(f"<li>{sentence(rng, 5)}</li>" for _ in range(3))
            + "</ul>\n<!-- /wp:list -->",
            f"<!-- wp:paragraph -->\n<p>{sentence(rng, 25)}</p>\n<!-- /wp:paragraph -->",
        ]
    )
    category = CATEGORIES[number % len(CATEGORIES)]
    tags = {rng.choice(WORDS) for _ in range(3)}
    comments = "".join(
        f"""		<wp:comment>
			<wp:comment_id>{post_id * 10 + reply}</wp:comment_id>
			<wp:comment_author>{cdata(f"Reader {reply}")}</wp:comment_author>
			<wp:comment_author_email>{cdata(f"reader{reply}@mail.example")}</wp:comment_author_email>
			<wp:comment_author_IP>{cdata("192.0.2.1")}</wp:comment_author_IP>
			<wp:comment_date_gmt>{cdata(stamp)}</wp:comment_date_gmt>
			<wp:comment_content>{cdata(sentence(rng, 15))}</wp:comment_content>
			<wp:comment_approved>{cdata("1")}</wp:comment_approved>
			<wp:comment_parent>{post_id * 10 if reply else 0}</wp:comment_parent>
		</wp:comment>
"""
        for reply in range(2)
    )
    tag_elements = "".join(
        f'		<category domain="post_tag" nicename="{tag}">{cdata(tag.title())}</category>\n'
        for tag in sorted(tags)
    )
    return f"""	<item>
		<title>{cdata(sentence(rng, 7)[:-1])}</title>
		<link>{SITE}/{date:%Y/%m/%d}/{slug}/</link>
		<pubDate>{date:%a, %d %b %Y %H:%M:%S} +0000</pubDate>
		<dc:creator>{cdata("alex" if number % 3 else "sam")}</dc:creator>
		<guid isPermaLink="false">{SITE}/?p={post_id}</guid>
		<description></description>
		<content:encoded>{cdata(body)}</content:encoded>
		<excerpt:encoded>{cdata(sentence(rng, 18))}</excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date>{cdata(stamp)}</wp:post_date>
		<wp:post_date_gmt>{cdata(stamp)}</wp:post_date_gmt>
		<wp:post_modified_gmt>{cdata(stamp)}</wp:post_modified_gmt>
		<wp:post_name>{cdata(slug)}</wp:post_name>
		<wp:status>{cdata("publish")}</wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:post_type>{cdata("post")}</wp:post_type>
		<wp:is_sticky>0</wp:is_sticky>
		<category domain="category" nicename="{category}">{cdata(category.title())}</category>
{tag_elements}		<wp:postmeta><wp:meta_key>{cdata("_thumbnail_id")}</wp:meta_key>\
<wp:meta_value>{cdata(str(100000 + featured))}</wp:meta_value></wp:postmeta>
{comments}	</item>
"""


def make_wxr(path, posts):
    rng = random.Random(14)
    start = datetime(2016, 1, 1, 8, 0)
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER.format(site=SITE))
        for login, name in (("alex", "Alex Doe"), ("sam", "Sam Roe")):
            out.write(
                f"	<wp:author><wp:author_login>{cdata(login)}</wp:author_login>"
                f"<wp:author_display_name>{cdata(name)}</wp:author_display_name></wp:author>\n"
            )
        for slug in CATEGORIES:
            out.write(
                f"	<wp:category><wp:category_nicename>{cdata(slug)}</wp:category_nicename>"
                f"<wp:cat_name>{cdata(slug.title())}</wp:cat_name></wp:category>\n"
            )
        for number in range(2 * posts):
            out.write(attachment_item(number))
        for number in range(posts):
            out.write(post_item(number, rng, start))
        out.write("</channel>\n</rss>\n")


CHILD = """
import json, os, resource, sys, time
def usage_children():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
import django
django.setup()
from masthead.transfer.importing import run_import
started = time.perf_counter()
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_started = usage.ru_utime + usage.ru_stime
if os.environ.get("BENCH_PROFILE"):
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
report = run_import("wordpress", [sys.argv[1]], options={"uploads_dir": sys.argv[2], \
"section_map": {"news": "News", "politics": "Politics", "business": "Business", \
"culture": "Culture", "sport": "Sport"}})
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu_seconds = usage.ru_utime + usage.ru_stime - cpu_started
if os.environ.get("BENCH_PROFILE"):
    profiler.disable()
    profiler.dump_stats(os.environ["BENCH_PROFILE"])
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
worker_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
# The index tasks the import queued (the dummy backend keeps them), run here as the task
# worker would run them after the import.
from django_tasks import default_task_backend
from masthead.transfer.tasks import update_indexes_task
queued = [result for result in default_task_backend.results \
if result.task.name == update_indexes_task.name]
indexing_started = time.perf_counter()
for result in queued:
    update_indexes_task.call(*result.args)
indexing_seconds = time.perf_counter() - indexing_started
from wagtail.search.models import IndexEntry
from wagtail.contrib.redirects.models import Redirect
from wagtail.images.models import Image
from masthead.publishing.models import ArticlePage
from masthead.transfer.models import ArchivedComment
live = ArticlePage.objects.live()
print(json.dumps({
    "seconds": seconds, "cpu_seconds": cpu_seconds, "peak_mib": peak_kib / 1024,
    "worker_peak_mib": worker_kib / 1024, "worker_cpu_seconds": usage_children(),
    "index_tasks": len(queued), "indexing_seconds": indexing_seconds,
    "search_entries": IndexEntry.objects.count(),
    "report": report.as_dict()["counts"],
    "failed": report.as_dict()["failed"][:5], "articles": live.count(),
    "with_revision": live.filter(live_revision__isnull=False).count(),
    "with_hero": live.filter(hero_image__isnull=False).count(),
    "images": Image.objects.count(), "redirects": Redirect.objects.count(),
    "comments": ArchivedComment.objects.count(),
}))
"""


def run(database, database_url, args, commit):
    work = WORK / f"import-wordpress-{database}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = base_environment(work / "data", database_url)
    env["DJANGO_SETTINGS_MODULE"] = "masthead.settings"
    log(f"\n== {database}: generating {args.posts} posts and {2 * args.posts} images in {work}")
    began = time.perf_counter()
    uploads = work / "uploads"
    make_uploads(uploads, 2 * args.posts)
    wxr = work / "export.xml"
    make_wxr(wxr, args.posts)
    log(
        f"  generated in {time.perf_counter() - began:.0f} s "
        f"(WXR {wxr.stat().st_size / 1_048_576:.0f} MiB)"
    )
    masthead(env, "migrate", "--no-input", "-v", "0")
    log("  importing...")
    load_before = os.getloadavg()[0]
    result = subprocess.run(
        [PYTHON, "-c", CHILD, str(wxr), str(uploads)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"the import failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
    figures = last_json_line(result.stdout)
    log(json.dumps(figures, indent=1))
    posts = args.posts
    correct = (
        figures["articles"] == posts
        and figures["with_revision"] == posts
        and figures["with_hero"] == posts
        and figures["images"] == 2 * posts
        and figures["redirects"] == 2 * posts
        and figures["comments"] == 2 * posts
        and figures["search_entries"] >= 3 * posts
        and not figures["failed"]
    )
    verdict = "ok" if correct else "WRONG RESULT"
    minutes = figures["seconds"] / 60
    line = (
        f"- {datetime.now():%Y-%m-%d %H:%M} {commit} import_wordpress.py {database}: "
        f"{posts} posts, {2 * posts} images from a local uploads folder: "
        f"{figures['seconds']:.0f} s ({minutes:.1f} min, {posts / figures['seconds']:.0f} "
        f"posts/s; {figures['cpu_seconds']:.0f} s of CPU time, "
        f"{posts / figures['cpu_seconds']:.0f} posts per CPU second; its worker process "
        f"{figures['worker_cpu_seconds']:.0f} s more), peak RSS {figures['peak_mib']:.0f} MiB "
        f"(the worker's {figures['worker_peak_mib']:.0f} MiB, most of it shared with the "
        f"importing process it was forked from); {figures['articles']} live "
        f"articles with revisions, {figures['images']} images, {figures['redirects']} "
        f"redirects, {figures['comments']} comments; then the {figures['index_tasks']} index "
        f"tasks it queued (reference and search index, one per batch of 50 items; the task "
        f"worker's work) took {figures['indexing_seconds']:.0f} s more and left "
        f"{figures['search_entries']} search index entries: {verdict} (load average before "
        f"{load_before:.1f}, at the end {os.getloadavg()[0]:.1f}: the machine is shared)"
    )
    log(line)
    append_result(line, args)
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if not correct:
        raise SystemExit("the import did not make what it should have")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: measure there too")
    parser.add_argument("--sqlite", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--no-record", action="store_true", help="print only")
    return parser.parse_args()


def main():
    args = parse_arguments()
    commit = git_commit()
    on_each_database(run, args, commit)


if __name__ == "__main__":
    main()
