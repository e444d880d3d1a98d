"""What editors do with a campaign: schedule it, send it now, pause, resume, cancel, test.

Every change of a campaign's status is a conditional UPDATE from the statuses it may come
from, so two clicks, two workers or a late task never send anything twice. The tasks that
start and send a campaign are queued through tasks.py, only after the transaction commits.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from masthead.newsletter import sending, tasks
from masthead.newsletter.models import Campaign, Delivery, Subscriber


class CampaignError(ValueError):
    """A campaign action that cannot be done now; the message is meant for the editor."""


def problems(campaign):
    """What stops the campaign from being sent, as messages for the editor."""
    found = []
    if not campaign.subject.strip():
        found.append(_("Give the campaign a subject."))
    if campaign.pk is None or not campaign.newsletters.exists():
        found.append(_("Choose at least one newsletter to send it to."))
    if campaign.kind == Campaign.Kind.ARTICLE and not campaign.article_id:
        found.append(_("Choose the article to send."))
    if (
        campaign.kind == Campaign.Kind.DIGEST
        and campaign.pk is not None
        and not campaign.digest_recent_count
        and not campaign.digest_articles.exists()
    ):
        found.append(_("Choose articles for the digest, or how many of the latest to include."))
    if campaign.kind == Campaign.Kind.CUSTOM and not (campaign.intro or campaign.body):
        found.append(_("Write something to send."))
    return found


def _require_ready(campaign):
    found = problems(campaign)
    if found:
        raise CampaignError(" ".join(str(problem) for problem in found))


def _transition(campaign, allowed, **changes):
    """Move the campaign on only if it is still in one of the ``allowed`` statuses."""
    updated = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(
        updated_at=timezone.now(), **changes
    )
    campaign.refresh_from_db()
    return bool(updated)


def schedule(campaign, when):
    """Send the campaign at ``when`` (a future, timezone-aware time)."""
    _require_ready(campaign)
    if when is None or timezone.is_naive(when) or when <= timezone.now():
        raise CampaignError(_("Choose a time in the future."))
    with transaction.atomic():
        allowed = [Campaign.Status.DRAFT, Campaign.Status.SCHEDULED]
        if not _transition(campaign, allowed, status=Campaign.Status.SCHEDULED, scheduled_at=when):
            raise CampaignError(_("Only a draft or scheduled campaign can be scheduled."))
        tasks.enqueue_start(campaign.pk, when)
    return campaign


def send_now(campaign):
    """Start sending at once; the recipients are gathered by a task, not in the request."""
    _require_ready(campaign)
    with transaction.atomic():
        allowed = [Campaign.Status.DRAFT, Campaign.Status.SCHEDULED]
        now = timezone.now()
        if not _transition(campaign, allowed, status=Campaign.Status.SCHEDULED, scheduled_at=now):
            raise CampaignError(_("This campaign has already been sent or cancelled."))
        tasks.enqueue_start(campaign.pk)
    return campaign


def pause(campaign):
    """Stop claiming new deliveries; what is in flight finishes, the rest waits."""
    if not _transition(campaign, [Campaign.Status.SENDING], status=Campaign.Status.PAUSED):
        raise CampaignError(_("Only a campaign that is sending can be paused."))
    return campaign


def resume(campaign):
    """Carry on sending a paused campaign where it stopped."""
    with transaction.atomic():
        if not _transition(
            campaign,
            [Campaign.Status.PAUSED],
            status=Campaign.Status.SENDING,
            send_generation=F("send_generation") + 1,
        ):
            raise CampaignError(_("Only a paused campaign can be resumed."))
        tasks.enqueue_batches(campaign.pk, campaign.send_generation)
    return campaign


def cancel(campaign):
    """Stop the campaign for good; recipients not yet mailed are skipped."""
    allowed = [
        Campaign.Status.DRAFT,
        Campaign.Status.SCHEDULED,
        Campaign.Status.SENDING,
        Campaign.Status.PAUSED,
    ]
    with transaction.atomic():
        if not _transition(
            campaign, allowed, status=Campaign.Status.CANCELLED, finished_at=timezone.now()
        ):
            raise CampaignError(_("This campaign has already been sent or cancelled."))
        campaign.deliveries.filter(status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, last_error="Campaign cancelled"
        )
    return campaign


def send_test(campaign, user):
    """Send the campaign to the editor's own address, marked as a test; nothing is recorded."""
    if not user.email:
        raise CampaignError(_("Your account has no email address to send a test to."))
    newsletter = campaign.newsletters.first()
    if newsletter is None:
        raise CampaignError(_("Choose at least one newsletter to send it to."))
    subscriber = Subscriber.objects.filter(email__iexact=user.email).first()
    messages = sending.CampaignMessages(campaign)
    if subscriber is None:
        # Links in a test go somewhere harmless when the editor is not a subscriber.
        subscriber = Subscriber(email=user.email, name=user.get_full_name())
        links = {"preferences_url": settings.SITE_URL + "/", "unsubscribe_url": settings.SITE_URL}
    else:
        links = None
    sent_at = timezone.now().timestamp()
    message_id = f"<newsletter-test.{campaign.pk}.{sent_at:.0f}@{sending.site_host()}>"
    message = messages.build(subscriber, newsletter, message_id, links=links)
    message.subject = str(_("[Test] %(subject)s") % {"subject": message.subject})
    with sending.newsletter_connection() as connection:
        connection.send_messages([message])
    return message


def send_due_campaigns():
    """For the worker's scheduler: start scheduled campaigns whose time has come, and
    restart campaigns whose batch tasks have gone quiet (their worker died)."""
    now = timezone.now()
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, scheduled_at__lte=now)
    started = [pk for pk in due.values_list("pk", flat=True) if tasks.start_campaign(pk)]
    quiet_since = now - timedelta(seconds=settings.NEWSLETTER_LEASE_SECONDS)
    stalled = Campaign.objects.filter(status=Campaign.Status.SENDING).filter(
        Q(last_batch_at__lt=quiet_since) | Q(last_batch_at__isnull=True, started_at__lt=quiet_since)
    )
    restarted = []
    for campaign in stalled:
        with transaction.atomic():
            if _transition(
                campaign,
                [Campaign.Status.SENDING],
                send_generation=F("send_generation") + 1,
                last_batch_at=now,
            ):
                tasks.enqueue_batches(campaign.pk, campaign.send_generation)
                restarted.append(campaign.pk)
    return started, restarted
