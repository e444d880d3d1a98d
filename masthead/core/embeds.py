"""The players an article may embed, and how a link to a video or recording becomes one.

An embedded player is a page of another company's inside ours: it can set cookies, follow
readers and run whatever script it likes. So an article's embed is a plain link card until
the reader asks for the player (``static/js/embeds.js`` adds a "play here" button to the
card), and only these providers' players are ever loaded, inside a sandboxed frame; the
Content-Security-Policy's ``frame-src`` names their origins and nothing else
(``masthead.core.security_headers``). Anything else an editor embeds stays a link.

The player's address is worked out from the link itself, so rendering an article never asks
another site for anything (Wagtail's oEmbed lookups would, at the first render).
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Provider:
    """A company whose player may be embedded: the links it plays, and its player's URL."""

    name: str
    # Where its player is framed from: the only origin the frame may load.
    origin: str
    # Links to something it plays, each with an ``id`` group the player URL is made from.
    links: tuple
    player: str
    # "video" is shown 16:9; "audio" is a strip; "chart" a tall box.
    shape: str
    action: str


@dataclass(frozen=True)
class Player:
    """A link an article embeds, as the player that plays it."""

    provider: Provider
    url: str


_YOUTUBE_ID = r"(?P<id>[A-Za-z0-9_-]{11})"

PROVIDERS = (
    Provider(
        name="YouTube",
        # youtube-nocookie sets no cookie until the video is played.
        origin="https://www.youtube-nocookie.com",
        links=(
            re.compile(rf"https://(?:www\.|m\.)?youtube\.com/watch\?(?:[^#]*&)?v={_YOUTUBE_ID}"),
            re.compile(rf"https://youtu\.be/{_YOUTUBE_ID}"),
            re.compile(rf"https://(?:www\.|m\.)?youtube\.com/(?:shorts|embed|live)/{_YOUTUBE_ID}"),
        ),
        player="https://www.youtube-nocookie.com/embed/{id}?autoplay=1",
        shape="video",
        action=_("Play the video here"),
    ),
    Provider(
        name="Vimeo",
        origin="https://player.vimeo.com",
        links=(
            re.compile(r"https://(?:www\.)?vimeo\.com/(?P<id>[0-9]{1,12})(?:[/?#]|$)"),
            re.compile(r"https://player\.vimeo\.com/video/(?P<id>[0-9]{1,12})(?:[/?#]|$)"),
        ),
        # dnt=1: Vimeo's player then tracks nothing about the reader.
        player="https://player.vimeo.com/video/{id}?autoplay=1&dnt=1",
        shape="video",
        action=_("Play the video here"),
    ),
    Provider(
        name="Dailymotion",
        origin="https://geo.dailymotion.com",
        links=(
            re.compile(r"https://(?:www\.)?dailymotion\.com/video/(?P<id>[A-Za-z0-9]{5,12})"),
            re.compile(r"https://dai\.ly/(?P<id>[A-Za-z0-9]{5,12})"),
        ),
        player="https://geo.dailymotion.com/player.html?video={id}",
        shape="video",
        action=_("Play the video here"),
    ),
    Provider(
        name="SoundCloud",
        origin="https://w.soundcloud.com",
        links=(
            re.compile(
                r"https://soundcloud\.com/(?P<id>[A-Za-z0-9_-]{1,100}/[A-Za-z0-9_-]{1,200})/?$"
            ),
        ),
        player="https://w.soundcloud.com/player/?url=https%3A//soundcloud.com/{id}&auto_play=true",
        shape="audio",
        action=_("Play the recording here"),
    ),
    Provider(
        name="Spotify",
        origin="https://open.spotify.com",
        links=(
            re.compile(
                r"https://open\.spotify\.com/(?P<id>(?:episode|show|track|album|playlist)"
                r"/[A-Za-z0-9]{22})(?:[/?#]|$)"
            ),
        ),
        player="https://open.spotify.com/embed/{id}",
        shape="audio",
        action=_("Play the recording here"),
    ),
    Provider(
        name="Datawrapper",
        origin="https://datawrapper.dwcdn.net",
        links=(
            re.compile(
                r"https://datawrapper\.dwcdn\.net/(?P<id>[A-Za-z0-9]{5})(?:/[0-9]{1,3})?/?$"
            ),
        ),
        player="https://datawrapper.dwcdn.net/{id}/",
        shape="chart",
        action=_("Show the chart here"),
    ),
)

# What an embedded player may do inside its frame: run its own scripts on its own origin
# (every player needs both), go full screen and open a link in a new tab. Not: navigate the
# article away, submit forms, open dialogs or download files.
SANDBOX = "allow-scripts allow-same-origin allow-presentation allow-popups"
# Browser features the page lends the player's frame (and nothing else).
PLAYER_FEATURES = ("autoplay", "encrypted-media", "fullscreen", "picture-in-picture")


def player_for(url):
    """The player for ``url`` when it links to something an allowed provider plays, else
    None."""
    for provider in PROVIDERS:
        for link in provider.links:
            match = link.match(url or "")
            if match:
                return Player(provider=provider, url=provider.player.format(id=match["id"]))
    return None


def player_origins():
    """The origins embedded players are framed from, in a fixed order."""
    return tuple(dict.fromkeys(provider.origin for provider in PROVIDERS))
