"""The newsletter's figures for ``/metrics`` (``masthead.core.metrics``): how fast
campaigns are being sent, and how many deliveries are still to go.

Read from the delivery rows at scrape time, so they hold whichever worker sends. Only the
deliveries of campaigns sending now or lately are looked at (the ``(campaign, status)``
index), never the whole history: a scrape every few seconds stays cheap however many
newsletters went out before.
"""

from django.db.models import Count, Q

from masthead.core.metrics import Family, recent
from masthead.newsletter.models import Campaign, Delivery

# Seconds over which the send rate is averaged, with their labels.
WINDOWS = {"1m": 60, "5m": 300}
# A campaign's last batch began at most this long before its last delivery was sent.
BATCH_MARGIN_SECONDS = 3600


def collect():
    """Deliveries sent per second over the last minute and five minutes, and deliveries
    pending or in flight in the campaigns being sent."""
    longest = max(WINDOWS.values())
    lately = Campaign.objects.filter(
        Q(status=Campaign.Status.SENDING)
        | Q(last_batch_at__gte=recent(longest + BATCH_MARGIN_SECONDS))
    )
    counts = Delivery.objects.filter(
        campaign__in=lately, status=Delivery.Status.SENT, sent_at__gte=recent(longest)
    ).aggregate(
        **{
            label: Count("pk", filter=Q(sent_at__gte=recent(seconds)))
            for label, seconds in WINDOWS.items()
        }
    )
    rate = Family(
        "masthead_newsletter_send_rate_per_second",
        "gauge",
        "Newsletter deliveries sent per second, averaged over the window.",
    )
    for label, seconds in WINDOWS.items():
        rate.add(counts[label] / seconds, window=label)
    waiting = Delivery.objects.filter(
        campaign__status=Campaign.Status.SENDING,
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING],
    ).count()
    pending = Family(
        "masthead_newsletter_deliveries_pending",
        "gauge",
        "Deliveries of the campaigns being sent that are not sent yet (or in flight).",
    )
    pending.add(waiting)
    return [rate, pending]
