"""Build the outlet the scale-out test serves, inside the test's own committed database.

Run in a subprocess with the cluster's environment (``python -m tests.scale.seed build
SUBSCRIBERS EDITOR_PASSWORD [STOCK]``, 10 units of the tee unless told),
after ``masthead migrate``: the web and worker processes read this database, so it must be
committed, which pytest-django's rolled-back test database never is. Prints one JSON line
with what the test needs: the draft article to publish, the variant to sell, the campaign
(the test sends it with the admin's "Send now").
"""

import json
import sys

import django


def build(subscribers, editor_password, stock=10):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone
    from wagtail.models import Site

    from masthead.core.cache import invalidate_pages
    from masthead.newsletter.models import Campaign, Newsletter, Subscriber, Subscription
    from masthead.publishing.models import ArticlePage
    from masthead.shop.models import ShopSettings
    from tests.publishing.factories import make_article, make_site_tree
    from tests.shop.factories import make_product, make_zone

    # This session only: 40,000 rows need not wait for the disk one commit at a time.
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    tree = make_site_tree()
    make_article(tree.section, title="Council agrees the bridge budget")
    draft = ArticlePage(
        title="Night ferry returns to the river",
        slug="night-ferry-returns",
        standfirst="The service stopped three winters ago.",
        body=[("paragraph", "<p>Boats will leave the quay every hour after dark.</p>")],
        live=False,
    )
    tree.section.add_child(instance=draft)
    draft.save_revision()

    get_user_model().objects.create_superuser("editor", "editor@example.org", editor_password)

    # Forty readers share one loopback address here, which the shop's defaults (three unpaid
    # orders per network) would rightly take for one person holding stock.
    shop = ShopSettings.for_site(Site.objects.get(is_default_site=True))
    shop.max_unpaid_orders_per_network = 100
    shop.save()
    zone = make_zone("United Kingdom", "GB", rates=[{"name": "Post", "price": 0}])
    tee = make_product(title="Last-run tee", variants=[{"sku": "LAST-M", "stock": stock}])

    daily = Newsletter.objects.create(name="Daily briefing", slug="daily")
    now = timezone.now()
    for start in range(0, subscribers, 10_000):
        Subscriber.objects.bulk_create(
            Subscriber(
                email=f"reader{number}@example.org",
                name=f"Reader {number}",
                status=Subscriber.Status.CONFIRMED,
                confirmed_at=now,
            )
            for number in range(start, min(start + 10_000, subscribers))
        )
    Subscription.objects.bulk_create(
        (
            Subscription(subscriber_id=pk, newsletter=daily)
            for pk in Subscriber.objects.values_list("pk", flat=True)
        ),
        batch_size=10_000,
    )
    campaign = Campaign.objects.create(
        subject="The week on the river",
        intro="<p>The night ferry, the bridge budget and the market.</p>",
    )
    campaign.newsletters.set([daily])
    # The cache is shared with earlier runs (same Redis database): nothing cached for another
    # outlet may answer for this one.
    invalidate_pages()
    return {
        "draft_id": draft.pk,
        "draft_url": draft.get_url_parts()[2],
        "draft_title": draft.title,
        "variant_id": tee.variants.get().pk,
        "rate_id": zone.rates.get().pk,
        "campaign_id": campaign.pk,
    }


def main(argv):
    django.setup()
    if len(argv) not in {4, 5} or argv[1] != "build":
        raise SystemExit(
            "usage: python -m tests.scale.seed build SUBSCRIBERS EDITOR_PASSWORD [STOCK]"
        )
    stock = int(argv[4]) if len(argv) == 5 else 10
    print(json.dumps(build(int(argv[2]), argv[3], stock)))


if __name__ == "__main__":
    main(sys.argv)
