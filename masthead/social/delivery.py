"""Delivering activities: one signed POST per destination inbox, retried for days.

Design (after the newsletter's sending engine):

- ``plan_deliveries`` turns an activity into one ``Delivery`` row per distinct inbox of its
  audience: the shared inbox of each server (or the actor's own inbox when the server has
  none), read as one DISTINCT query over the followers table however many followers there
  are, minus blocked domains and servers marked dead. Rows are inserted in batches under a
  unique constraint, so planning twice adds nothing.
- ``send_due`` claims due rows with a lease (``SKIP LOCKED`` on PostgreSQL, so several workers
  share the work), commits, then sends outside any transaction from a thread pool over one
  keep-alive connection pool, and records the results in bulk. The body is serialised and
  digested once per activity; only the signature differs per inbox.
- The sending threads run at a lower CPU priority (SOCIAL_DELIVERY_NICE, Linux): signing
  and posting to 2,000 servers is background work, and on a small machine it must not take
  the cores from the processes serving readers. Only those threads are lowered (an
  unprivileged process cannot raise its priority again), so the worker's other tasks keep
  theirs.
- A failed delivery waits SOCIAL_RETRY_SECONDS, then twice as long each time. A server that
  has failed continuously for SOCIAL_DEAD_AFTER_DAYS is marked dead: its pending rows give up
  and later activities skip it, until it is heard from again (``revive_instance``).
"""

import json
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from masthead.social import fetching, keys, signatures
from masthead.social.actors import domain_of, key_id
from masthead.social.models import Activity, BlockedDomain, Delivery, Follower, Instance

logger = logging.getLogger(__name__)

INSERT_BATCH = 2000
# Longest single wait between retries, whatever the doubling says.
MAX_RETRY_SECONDS = 12 * 3600


@dataclass
class Outcome:
    """What one POST did."""

    delivery_id: int
    domain: str
    delivered: bool
    error: str = ""
    permanent: bool = False


def audience_inboxes(local_actor_ids):
    """Distinct delivery inboxes of the accepted followers of these actors."""
    return (
        Follower.objects.filter(local_actor_id__in=local_actor_ids, status=Follower.Status.ACCEPTED)
        .values_list("delivery_inbox", flat=True)
        .distinct()
        .iterator(chunk_size=INSERT_BATCH)
    )


def plan_deliveries(activity, inboxes):
    """One pending Delivery per inbox in ``inboxes`` (an iterable of URLs) for ``activity``,
    skipping blocked and dead servers; returns how many rows were added."""
    blocked = set(BlockedDomain.objects.values_list("domain", flat=True))
    dead = set(Instance.objects.filter(dead=True).values_list("domain", flat=True))
    now = timezone.now()
    added = 0
    batch = []
    for inbox in inboxes:
        domain = domain_of(inbox)
        if domain in dead or _is_under(domain, blocked):
            continue
        batch.append(Delivery(activity=activity, inbox=inbox, domain=domain, next_attempt_at=now))
        if len(batch) >= INSERT_BATCH:
            added += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        added += len(Delivery.objects.bulk_create(batch, ignore_conflicts=True))
    return added


def _is_under(domain, blocked):
    labels = domain.split(".")
    return any(".".join(labels[i:]) in blocked for i in range(len(labels)))


def claim_due(limit, activity_id=None):
    """Claim up to ``limit`` due deliveries for this worker (a lease of a few timeouts);
    returns them with their activities."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SOCIAL_DELIVERY_TIMEOUT_SECONDS * 6 + 60)
    with transaction.atomic():
        due = Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        due = due.filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        if activity_id is not None:
            due = due.filter(activity_id=activity_id)
        locking = due.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            locking = locking.select_for_update(skip_locked=True)
        ids = list(locking.values_list("pk", flat=True)[:limit])
        Delivery.objects.filter(pk__in=ids).update(claimed_until=lease)
    return list(Delivery.objects.filter(pk__in=ids).select_related("activity__actor"))


class _Signer:
    """Signs POSTs of one activity: body and digest made once, a signature per inbox."""

    def __init__(self, activity):
        self.body = json.dumps(activity.payload, separators=(",", ":")).encode()
        self.private_key = keys.load_private_key(activity.actor.private_key_pem)
        self.key_id = key_id(activity.actor)

    def headers(self, inbox):
        headers = signatures.sign_request(
            "POST", inbox, self.private_key, self.key_id, body=self.body
        )
        headers.pop("Host")
        return headers


def _send_one(delivery, signer):
    try:
        status = fetching.post(delivery.inbox, signer.body, signer.headers(delivery.inbox))
    except urllib3.exceptions.HTTPError as error:
        return Outcome(delivery.pk, delivery.domain, False, type(error).__name__)
    if 200 <= status < 300:
        return Outcome(delivery.pk, delivery.domain, True)
    # A server that refuses the activity itself (bad request, gone, forbidden) will refuse
    # it again; anything else (rate limits, 5xx) is worth another try.
    permanent = status in (400, 401, 403, 404, 410, 422)
    return Outcome(delivery.pk, delivery.domain, False, f"HTTP {status}", permanent)


def _lower_priority():
    """Lower this sending thread's CPU priority by SOCIAL_DELIVERY_NICE. On Linux a
    thread's id names it alone to setpriority(2); elsewhere, or if refused, nothing."""
    nice = settings.SOCIAL_DELIVERY_NICE
    if nice <= 0 or not hasattr(os, "setpriority") or not hasattr(threading, "get_native_id"):
        return
    thread = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, thread)
        os.setpriority(os.PRIO_PROCESS, thread, min(19, current + nice))
    except OSError:
        logger.debug("Delivery: could not lower the sending thread's priority")


def send_due(limit=None, activity_id=None):
    """One sending pass: claim due deliveries, POST them in parallel, record the results.
    Returns how many were attempted."""
    limit = limit or settings.SOCIAL_DELIVERY_BATCH_SIZE
    claimed = claim_due(limit, activity_id)
    if not claimed:
        return 0
    signers = {}
    lock = threading.Lock()

    def signer_for(activity):
        with lock:
            if activity.pk not in signers:
                signers[activity.pk] = _Signer(activity)
            return signers[activity.pk]

    by_id = {delivery.pk: delivery for delivery in claimed}
    with ThreadPoolExecutor(
        max_workers=max(settings.SOCIAL_DELIVERY_THREADS, 1), initializer=_lower_priority
    ) as pool:
        outcomes = list(
            pool.map(lambda delivery: _send_one(delivery, signer_for(delivery.activity)), claimed)
        )
    record_outcomes(outcomes, by_id)
    return len(claimed)


def record_outcomes(outcomes, by_id):
    """Store what the sending pass did: delivered rows, retries with backoff, servers that
    came back or died."""
    now = timezone.now()
    changed = []
    for outcome in outcomes:
        delivery = by_id[outcome.delivery_id]
        delivery.attempts += 1
        delivery.claimed_until = None
        if outcome.delivered:
            delivery.status = Delivery.Status.DELIVERED
            delivery.delivered_at = now
            delivery.last_error = ""
        else:
            delivery.last_error = outcome.error[:300]
            if outcome.permanent:
                delivery.status = Delivery.Status.FAILED
            else:
                wait = settings.SOCIAL_RETRY_SECONDS * 2 ** (delivery.attempts - 1)
                delivery.next_attempt_at = now + timedelta(seconds=min(wait, MAX_RETRY_SECONDS))
        changed.append(delivery)
    with transaction.atomic():
        Delivery.objects.bulk_update(
            changed,
            [
                "status",
                "attempts",
                "claimed_until",
                "delivered_at",
                "last_error",
                "next_attempt_at",
            ],
            batch_size=500,
        )
        _record_instances(outcomes, now)


def _record_instances(outcomes, now):
    reached = {outcome.domain for outcome in outcomes if outcome.delivered}
    failing = {outcome.domain for outcome in outcomes if not outcome.delivered} - reached
    if reached:
        Instance.objects.filter(domain__in=reached).update(
            failing_since=None, dead=False, last_success_at=now
        )
    if not failing:
        return
    known = set(Instance.objects.filter(domain__in=failing).values_list("domain", flat=True))
    Instance.objects.bulk_create(
        [Instance(domain=domain, failing_since=now) for domain in failing - known],
        ignore_conflicts=True,
    )
    Instance.objects.filter(domain__in=failing, failing_since__isnull=True).update(
        failing_since=now
    )
    dead_before = now - timedelta(days=settings.SOCIAL_DEAD_AFTER_DAYS)
    newly_dead = list(
        Instance.objects.filter(
            domain__in=failing, dead=False, failing_since__lte=dead_before
        ).values_list("domain", flat=True)
    )
    if newly_dead:
        Instance.objects.filter(domain__in=newly_dead).update(dead=True)
        Delivery.objects.filter(domain__in=newly_dead, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.FAILED, last_error="Server marked dead"
        )
        logger.warning("Fediverse servers marked dead after failing: %s", sorted(newly_dead))


def revive_instance(domain):
    """A server we hear from is alive again: deliver to it once more."""
    Instance.objects.filter(domain=domain, dead=True).update(dead=False, failing_since=None)


def send_until_done(activity_id):
    """Send every due delivery of one activity, pass after pass (the fan-out task)."""
    total = 0
    while True:
        sent = send_due(activity_id=activity_id)
        if not sent:
            return total
        total += sent


@dataclass(frozen=True)
class FanOut:
    """One activity to deliver: to the followers of ``local_actor_ids`` and to the given
    ``inboxes`` (an Accept goes to one actor's inbox)."""

    activity_id: int
    local_actor_ids: tuple = ()
    inboxes: tuple = ()


def fan_out(activity_id, local_actor_ids, inboxes):
    """Plan one delivery per distinct inbox for the activity, then send them all; failures
    are left for the retry pass. Safe to run twice (planning adds no row twice)."""
    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    planned = plan_deliveries(activity, inboxes)
    if local_actor_ids:
        planned += plan_deliveries(activity, audience_inboxes(local_actor_ids))
    send_until_done(activity.pk)
    return planned
