"""Imported HTML to body blocks (masthead.transfer.html): block editor and classic markup,
shortcodes, and hostile HTML that must never survive."""

import pytest

from masthead.transfer.html import embed_url, sanitise, to_blocks

HOSTILE = [
    '<script>alert("x")</script>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example/"></iframe>',
    '<p onclick="steal()" onmouseover="steal()">text</p>',
    '<a href="javascript:alert(1)">link</a>',
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    '<a href="  javascript:alert(1)">link</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">link</a>',
    '<img src="x" onerror="alert(1)">',
    '<svg onload="alert(1)"><script>alert(1)</script></svg>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example"><input name="card"></form>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    "<noscript><p>fallback</p></noscript>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<scr<script>ipt>alert(1)</script>",
    "<SCRIPT>alert(1)</SCRIPT>",
    "<ScRiPt\n>alert(1)</script>",
    "<svg/onload=alert(1)></svg>",
    "<!-- <script>alert(1)</script> -->",
    "<?php echo 1; ?><p>text</p>",
]
# Markup that must never come out (text such as "alert(1)" may, escaped and inert).
NEVER = (
    "<script", "onclick", "onmouseover", "onerror", "onload", "javascript:", "<iframe",
    "<style", "style=", "<svg", "<object", "<embed", "<form", "<input", "data:",
)  # fmt: skip


def everything(blocks):
    return repr(blocks).lower()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_html_never_survives_sanitise_or_blocks(hostile):
    wrapped = f"<p>Before.</p>{hostile}<p>After.</p>"
    cleaned = sanitise(wrapped).lower()
    blocks, _notes = to_blocks(wrapped)
    for bad in NEVER:
        assert bad not in cleaned, (hostile, cleaned)
        assert bad not in everything(blocks), (hostile, blocks)
    assert "before." in everything(blocks) and "after." in everything(blocks)


@pytest.mark.parametrize(
    "markup",
    [
        "<p>Plain <strong>bold</strong> and <em>em</em> &amp; &lt;b&gt; &nbsp;text</p>",
        '<p>A <a href="https://example.org/x?a=1&amp;b=2" title="t">link</a></p><ul><li>one',
        "<h2>Heading</h2><p>unclosed <b>bold<p>next</p><blockquote>quoted</blockquote>",
        '<p class="x" id="y" data-z="1">attributes</p><div><span>span</span></div>',
        "text with a < sign and a > sign & an ampersand",
    ],
)
def test_markup_without_hostile_parts_is_sanitised_as_with_them(markup):
    # sanitise parses and rewrites the markup before the whitelist only when it holds an
    # element removed whole, a comment or a declaration; the whitelist's output must be the
    # same as if it had
    hostile = "<script>alert(1)</script>"
    assert sanitise(hostile + markup) == sanitise(markup)


def test_classic_content_is_made_into_paragraphs_like_wpautop():
    blocks, notes = to_blocks("One line\nand the next.\n\nA second paragraph with <b>bold</b>.")
    assert blocks == [
        (
            "paragraph",
            "<p>One line<br/>and the next.</p><p>A second paragraph with <b>bold</b>.</p>",
        )
    ]
    assert notes == []


def test_block_editor_markup():
    html = (
        "<!-- wp:paragraph --><p>Hello.</p><!-- /wp:paragraph -->"
        '<!-- wp:heading --><h2 class="wp-block-heading">Part one</h2><!-- /wp:heading -->'
        '<!-- wp:heading {"level":4} --><h4>Detail</h4><!-- /wp:heading -->'
        '<!-- wp:list {"ordered":true} --><ol><li>a</li><li>b</li></ol><!-- /wp:list -->'
        '<!-- wp:pullquote --><figure class="wp-block-pullquote"><blockquote><p>Said big.'
        "</p></blockquote></figure><!-- /wp:pullquote -->"
        '<!-- wp:quote --><blockquote class="wp-block-quote"><p>Words.</p><cite>A. Person'
        "</cite></blockquote><!-- /wp:quote -->"
        '<!-- wp:embed {"url":"https://youtu.be/abc"} --><figure class="wp-block-embed">'
        '<div class="wp-block-embed__wrapper">https://youtu.be/abc</div></figure><!-- /wp:embed -->'
        "<!-- wp:separator --><hr/><!-- /wp:separator -->"
        "<!-- wp:html --><div><p>Raw <u>block</u>.</p></div><!-- /wp:html -->"
        "<!-- wp:archives /-->"
    )
    blocks, notes = to_blocks(html)
    assert blocks == [
        ("paragraph", "<p>Hello.</p>"),
        ("heading", {"text": "Part one", "level": "h2"}),
        ("heading", {"text": "Detail", "level": "h3"}),
        ("paragraph", "<ol><li>a</li><li>b</li></ol>"),
        ("pull_quote", {"text": "Said big."}),
        (
            "block_quote",
            {"quote": "Words.", "attribution": "A. Person", "role": "", "source_url": ""},
        ),
        ("embed", {"url": "https://youtu.be/abc", "title": "", "caption": ""}),
        ("paragraph", "<p>Raw block.</p>"),
    ]
    assert any("separator" in note for note in notes)
    assert any("wp:archives" in note for note in notes)


def test_images_captions_and_galleries_go_through_the_resolver():
    seen = []

    def resolver(src, alt):
        seen.append((src, alt))
        return None if "missing" in src else f"image:{src}"

    html = (
        '[caption id="attachment_3" width="300"]<img src="https://s.example/a.jpg" alt="A">'
        " The caption.[/caption]\n\n"
        '<p>Text with <img src="https://s.example/missing.jpg" alt="M"> inside.</p>'
        '[gallery ids="7,8"]'
    )
    blocks, notes = to_blocks(html, images=resolver)
    assert seen == [
        ("https://s.example/a.jpg", "A"),
        ("https://s.example/missing.jpg", "M"),
        ("attachment:7", ""),
        ("attachment:8", ""),
    ]
    assert blocks[0] == (
        "image",
        {"image": "image:https://s.example/a.jpg", "alt_text": "A", "caption": "The caption.",
         "credit": ""},
    )  # fmt: skip
    assert blocks[1] == ("paragraph", "<p>Text with  inside.</p>")
    assert [block[1]["image"] for block in blocks[2:]] == [
        "image:attachment:7",
        "image:attachment:8",
    ]
    assert any("missing.jpg" in note for note in notes)


def test_unknown_shortcodes_are_kept_as_text_and_named():
    blocks, notes = to_blocks("Join us [signup form=2] today. [[escaped]]")
    assert blocks == [("paragraph", "<p>Join us [signup form=2] today. [escaped]</p>")]
    assert notes == ["the shortcode [signup] was kept as text: nothing here does what it did"]


def test_embeds():
    blocks, _ = to_blocks(
        "https://www.youtube.com/watch?v=x1\n\n"
        "[embed]https://vimeo.com/1[/embed]\n\n"
        '<iframe src="https://www.youtube-nocookie.com/embed/x2"></iframe>\n\n'
        '<blockquote class="twitter-tweet"><p>Hi</p>&mdash; A (@a) '
        '<a href="https://twitter.com/a/status/9?ref_src=x">date</a></blockquote>\n\n'
        "https://unknown.example/page"
    )
    assert [value["url"] for kind, value in blocks if kind == "embed"] == [
        "https://www.youtube.com/watch?v=x1",
        "https://vimeo.com/1",
        "https://www.youtube.com/watch?v=x2",
        "https://twitter.com/a/status/9",
    ]
    assert blocks[-1] == ("paragraph", "<p>https://unknown.example/page</p>")
    assert embed_url("javascript:alert(1)") is None


def test_a_table_becomes_rows_of_text_with_a_note():
    blocks, notes = to_blocks(
        "<table><caption>Fares</caption><tr><th>Ticket</th><th>Price</th></tr>"
        "<tr><td>Single</td><td>&pound;2 &amp; up</td></tr></table>"
    )
    assert blocks == [
        (
            "paragraph",
            "<p><b>Fares</b></p><p><b>Ticket</b> | <b>Price</b></p><p>Single | £2 &amp; up</p>",
        )
    ]
    assert "table" in notes[0]


def test_long_values_are_cut_to_the_blocks_limits_with_notes():
    blocks, notes = to_blocks(f"<h2>{'word ' * 60}</h2>")
    assert len(blocks[0][1]["text"]) <= 200
    assert notes == ["a heading was cut to 200 characters"]


def test_declarations_are_not_text():
    blocks, _ = to_blocks('<!DOCTYPE html><?xml version="1.0"?><p>Only this.</p>')
    assert blocks == [("paragraph", "<p>Only this.</p>")]
