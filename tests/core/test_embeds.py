"""Which links an article can play in the page (after a click), and with which player."""

import pytest

from masthead.core.embeds import player_for

PLAYABLE = [
    (
        "https://www.youtube.com/watch?v=aqz-KE-bpKQ",
        "YouTube",
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1",
    ),
    (
        "https://www.youtube.com/watch?feature=share&v=aqz-KE-bpKQ&t=30",
        "YouTube",
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1",
    ),
    (
        "https://youtu.be/aqz-KE-bpKQ?si=abc",
        "YouTube",
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1",
    ),
    (
        "https://m.youtube.com/shorts/aqz-KE-bpKQ",
        "YouTube",
        "https://www.youtube-nocookie.com/embed/aqz-KE-bpKQ?autoplay=1",
    ),
    (
        "https://vimeo.com/76979871",
        "Vimeo",
        "https://player.vimeo.com/video/76979871?autoplay=1&dnt=1",
    ),
    (
        "https://www.dailymotion.com/video/x8abc12",
        "Dailymotion",
        "https://geo.dailymotion.com/player.html?video=x8abc12",
    ),
    (
        "https://soundcloud.com/council-podcast/episode-12",
        "SoundCloud",
        "https://w.soundcloud.com/player/?url=https%3A//soundcloud.com/council-podcast/episode-12"
        "&auto_play=true",
    ),
    (
        "https://open.spotify.com/episode/4rOoJ6Egrf8K2IrywzwOMk",
        "Spotify",
        "https://open.spotify.com/embed/episode/4rOoJ6Egrf8K2IrywzwOMk",
    ),
    (
        "https://datawrapper.dwcdn.net/Ab3De/2/",
        "Datawrapper",
        "https://datawrapper.dwcdn.net/Ab3De/",
    ),
]


@pytest.mark.parametrize(("url", "provider", "player"), PLAYABLE)
def test_links_to_allowed_providers_get_their_player(url, provider, player):
    found = player_for(url)

    assert (found.provider.name, found.url) == (provider, player)


@pytest.mark.parametrize(
    "url",
    [
        "https://video.example/watch/42",
        "http://www.youtube.com/watch?v=aqz-KE-bpKQ",
        "https://www.youtube.com.evil.example/watch?v=aqz-KE-bpKQ",
        "https://evil.example/?https://youtu.be/aqz-KE-bpKQ",
        'https://www.youtube.com/watch?v=aqz-KE"><script>',
        "https://vimeo.com/76979871evil",
        "https://soundcloud.com/council-podcast/episode-12?u=<x>",
        "https://x.com/council/status/1",
        "javascript:alert(1)//https://youtu.be/aqz-KE-bpKQ",
        "",
        None,
    ],
)
def test_anything_else_stays_a_link(url):
    assert player_for(url) is None
