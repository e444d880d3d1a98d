"""The social web's endpoints.

Threat model: every request comes from a stranger's server. Inboxes accept only signed
POSTs (masthead.social.inbox verifies them, refuses blocked servers before fetching
anything, and refuses replays), at most MAX_INBOX_BYTES of JSON, at most
SOCIAL_INBOX_LIMIT_PER_IP per network (an IPv4 address, an IPv6 /64) before anything is
parsed or fetched, and answer with deliberate status codes: 202 accepted, 400 malformed,
401 bad signature, 403 blocked, 413 too large, 429 too many (with Retry-After).
CSRF does not apply (no cookies are involved; the signature authenticates). Public documents
(WebFinger, NodeInfo, actors) are read-only; with SOCIAL_AUTHORIZED_FETCH the outbox,
followers and article objects answer only signed GETs, and are then never cached.
"""

import json
import time

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from masthead.core import ratelimit
from masthead.core.sites import absolute_url
from masthead.publishing.models import ArticlePage
from masthead.social import actors, documents, signatures
from masthead.social import inbox as inbox_handling
from masthead.social.fetching import ACTIVITY_JSON
from masthead.social.keys import load_public_key
from masthead.social.models import Activity, Follower, LocalActor

MAX_INBOX_BYTES = 256 * 1024


def activity_response(document, status=200, cacheable=True):
    response = JsonResponse(document, status=status, content_type=ACTIVITY_JSON)
    if not cacheable:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def incoming_request(request):
    """The request as the verifier needs it: addressed under SITE_URL, as senders see it."""
    headers = {name.lower(): value for name, value in request.headers.items()}
    return signatures.IncomingRequest(
        method=request.method,
        url=absolute_url(request.get_full_path()),
        headers=headers,
        body=request.body if request.method == "POST" else b"",
    )


def _refuse_unsigned_fetch(request):
    """With authorized fetch on: None when the GET is signed by a reachable, unblocked
    actor, else the refusal to send."""
    if not settings.SOCIAL_AUTHORIZED_FETCH:
        return None

    def find_key(key_id_value, refresh):
        if actors.is_blocked(key_id_value):
            return None
        remote = actors.remote_actor_by_key(key_id_value, refresh=refresh)
        return load_public_key(remote.public_key_pem) if remote else None

    try:
        signatures.verify_request(
            incoming_request(request), find_key, settings.SOCIAL_SIGNATURE_WINDOW_SECONDS
        )
    except signatures.SignatureError as error:
        return HttpResponse(str(error), status=401, content_type="text/plain")
    return None


@require_GET
def webfinger(request):
    """``/.well-known/webfinger?resource=acct:news@host`` (or the actor's URL)."""
    resource = request.GET.get("resource", "")
    if resource.startswith("acct:"):
        username, _sep, host = resource[5:].rpartition("@")
        if host.lower() != documents.handle_host().lower():
            raise Http404("Not an account of this site.")
        actor = actors.find_local_actor(username)
    else:
        actor = actors.local_actor_for_uri(resource)
    if actor is None:
        raise Http404("No such account.")
    response = JsonResponse(documents.webfinger(actor), content_type="application/jrd+json")
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def nodeinfo_links(request):
    """``/.well-known/nodeinfo``: where the NodeInfo document is."""
    return JsonResponse(documents.nodeinfo_links())


@require_GET
def nodeinfo(request):
    """NodeInfo 2.1: what software this is, and how many actors and articles it has."""
    users = 1 + LocalActor.objects.filter(kind=LocalActor.Kind.AUTHOR, federated=True).count()
    posts = ArticlePage.objects.live().public().count()
    return JsonResponse(
        documents.nodeinfo(users, posts),
        content_type='application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
    )


def _local_actor_or_404(username):
    actor = actors.find_local_actor(username)
    if actor is None:
        raise Http404("No such actor.")
    return actor


@require_GET
def actor(request, username):
    """The actor document (always public: servers need the key to check our signatures)."""
    return activity_response(documents.actor_document(_local_actor_or_404(username)))


@require_GET
def outbox(request, username):
    actor_row = _local_actor_or_404(username)
    refusal = _refuse_unsigned_fetch(request)
    if refusal:
        return refusal
    page = request.GET.get("page")
    if page is not None and (not page.isdigit() or int(page) < 1):
        return HttpResponse("page must be a positive number", status=400)
    document = documents.outbox(actor_row, int(page) if page else None)
    return activity_response(document, cacheable=not settings.SOCIAL_AUTHORIZED_FETCH)


@require_GET
def followers(request, username):
    actor_row = _local_actor_or_404(username)
    refusal = _refuse_unsigned_fetch(request)
    if refusal:
        return refusal
    count = Follower.objects.filter(local_actor=actor_row, status=Follower.Status.ACCEPTED).count()
    return activity_response(documents.followers_collection(actor_row, count), cacheable=False)


@require_GET
def article(request, pk):
    """An article as an ActivityStreams object (its id is what followers' servers fetch)."""
    page = get_object_or_404(ArticlePage.objects.live().public(), pk=pk)
    refusal = _refuse_unsigned_fetch(request)
    if refusal:
        return refusal
    document = {
        "@context": documents.CONTEXT,
        **documents.article_object(page, actors.outlet_actor()),
    }
    return activity_response(document, cacheable=not settings.SOCIAL_AUTHORIZED_FETCH)


@require_GET
def activity(request, token):
    """An activity this site sent, as sent (Mastodon may fetch an activity by its id)."""
    found = get_object_or_404(Activity, activity_id=absolute_url(request.path))
    if found.payload.get("to") != [documents.PUBLIC] and found.kind not in ("Create", "Update"):
        raise Http404("Not a public activity.")
    return activity_response(found.payload)


def _too_many_deliveries(request):
    """A 429 with Retry-After when the sender's network is over SOCIAL_INBOX_LIMIT_PER_IP,
    else None. With the shared cache down it lets deliveries in: the limit only spares the
    site work, and signatures still guard what is accepted."""
    limit, window = settings.SOCIAL_INBOX_LIMIT_PER_IP
    network = ratelimit.client_network(request) or "unknown"
    if ratelimit.allow(
        f"social-inbox-ip:{network}", limit, window, when_unavailable=ratelimit.ALLOW
    ):
        return None
    response = HttpResponse("Too many deliveries", status=429, content_type="text/plain")
    # The limit counts in fixed windows: the next one starts this many seconds from now.
    response["Retry-After"] = str(window - int(time.time()) % window)
    return response


def _receive(request, local_actor):
    refused = _too_many_deliveries(request)
    if refused is not None:
        return refused
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_INBOX_BYTES:
        return HttpResponse("Too large", status=413)
    try:
        activity_document = json.loads(request.body)
    except ValueError:
        return HttpResponse("Not JSON", status=400)
    if not isinstance(activity_document, dict) or not isinstance(
        activity_document.get("type"), str
    ):
        return HttpResponse("Not an activity", status=400)
    try:
        sender = inbox_handling.verify(incoming_request(request), activity_document)
        inbox_handling.handle(activity_document, sender, local_actor)
    except inbox_handling.Refused as refusal:
        return HttpResponse(str(refusal), status=refusal.status, content_type="text/plain")
    return HttpResponse(status=202)


@csrf_exempt
@require_POST
def inbox(request, username):
    """A local actor's own inbox."""
    return _receive(request, _local_actor_or_404(username))


@csrf_exempt
@require_POST
def shared_inbox(request):
    """The shared inbox: one POST per server for all the followers it hosts."""
    return _receive(request, None)
