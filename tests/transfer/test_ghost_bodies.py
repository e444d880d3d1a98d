"""Ghost's body formats rendered to HTML: Lexical (Ghost 5 and 6) and Mobiledoc (Ghost 4),
to the node and card shapes of Ghost's editor; what cannot be kept is named in the notes,
and malformed or hostile documents are refused with a clear error."""

import json

import pytest

from masthead.transfer import lexical, mobiledoc


def text(value, format_bits=0):
    return {"type": "extended-text", "text": value, "format": format_bits, "version": 1}


def document(*children):
    return {"root": {"type": "root", "children": list(children)}}


def test_text_format_bits_nest_in_a_fixed_order_and_text_is_escaped():
    html, notes = lexical.render(
        document(
            {
                "type": "paragraph",
                "children": [
                    text("bold italic", lexical.BOLD | lexical.ITALIC),
                    text(" <b>not markup</b> "),
                    text("gone", lexical.STRIKETHROUGH),
                    text("x()", lexical.CODE),
                    {"type": "linebreak"},
                    text("2", lexical.SUPERSCRIPT),
                ],
            }
        )
    )
    assert html == (
        "<p><strong><em>bold italic</em></strong> &lt;b&gt;not markup&lt;/b&gt; "
        "<s>gone</s><code>x()</code><br><sup>2</sup></p>"
    )
    assert notes == []


def test_lists_headings_quotes_links_and_cards():
    html, notes = lexical.render(
        json.dumps(
            document(
                {"type": "heading", "tag": "h3", "children": [text("Plan")]},
                {"type": "heading", "tag": "script", "children": [text("Odd tag")]},
                {
                    "type": "list",
                    "listType": "number",
                    "children": [
                        {"type": "listitem", "children": [text("one")]},
                        {
                            "type": "listitem",
                            "children": [
                                {
                                    "type": "link",
                                    "url": 'https://example.org/"x"',
                                    "children": [text("two")],
                                }
                            ],
                        },
                    ],
                },
                {"type": "aside", "children": [text("An aside")]},
                {"type": "codeblock", "code": "<tag>", "language": "html"},
                {"type": "bookmark", "url": "https://example.org/a", "metadata": {"title": "A"}},
                {"type": "button", "buttonUrl": "https://example.org/b", "buttonText": "Go"},
                {"type": "markdown", "markdown": "Some *emphasis* <script>x</script>"},
                {"type": "video", "src": "https://example.org/v.mp4"},
                {"type": "product", "productTitle": "Mug"},
                {"type": "mystery-card"},
            )
        )
    )
    assert "<h3>Plan</h3>" in html and "<h2>Odd tag</h2>" in html
    assert '<ol><li>one</li><li><a href="https://example.org/&quot;x&quot;">two</a></li></ol>' in (
        html
    )
    assert "<blockquote><p>An aside</p></blockquote>" in html
    assert "<pre><code>&lt;tag&gt;</code></pre>" in html
    assert '<a href="https://example.org/a">A</a>' in html
    assert '<a href="https://example.org/b">Go</a>' in html
    assert "<em>emphasis</em>" in html and "<script>" not in html
    assert '<a href="https://example.org/v.mp4">' in html
    assert notes == [
        "an aside (Ghost's alternative quote style) became a quotation",
        "a bookmark card became a link",
        "a button became a link",
        "a video card became a link to its file (the file was not imported)",
        "a Ghost product card was left out: it only works on a Ghost site",
        "an unknown mystery-card card was left out",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{not json", "not JSON"),
        ("[]", "no root with children"),
        ('{"root": {"children": "x"}}', "no root with children"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_malformed_lexical_document_is_refused(value, message):
    with pytest.raises(lexical.LexicalError, match=message):
        lexical.render(value)


def test_a_lexical_document_nested_beyond_reason_is_refused():
    node = {"type": "paragraph", "children": [text("deep")]}
    for _ in range(lexical.MAX_DEPTH + 5):
        node = {"type": "quote", "children": [node]}
    with pytest.raises(lexical.LexicalError, match="nested too deeply"):
        lexical.render(document(node))


def test_mobiledoc_markers_open_and_close_markups_and_atoms_break_lines():
    html, notes = mobiledoc.render(
        {
            "version": "0.3.1",
            "atoms": [["soft-return", "", {}], ["mention", "@ada", {}]],
            "markups": [["a", ["href", "javascript:alert(1)"]], ["strong"], ["em"], ["marquee"]],
            "cards": [],
            "sections": [
                [1, "p", [[0, [1, 2], 1, "both"], [0, [], 1, " bold"], [1, [], 0, 0]]],
                [1, "p", [[0, [0], 1, "link"], [1, [], 0, 1], [0, [3], 0, "unclosed"]]],
                [1, "pull-quote", [[0, [], 0, "Quoted"]]],
                [1, "h7", [[0, [], 0, "Not a heading"]]],
                [2, "https://example.org/i.jpg"],
                [3, "ul", [[[0, [], 0, "a"]], [[0, [], 0, "b"]]]],
                [99, "?"],
            ],
        }
    )
    assert html.startswith("<p><strong><em>both</em> bold</strong><br></p>")
    # The link keeps its address for the sanitiser to judge; an unknown markup is a span,
    # closed at the end of its section.
    assert '<a href="javascript:alert(1)">link</a>@ada<span>unclosed</span></p>' in html
    assert "<blockquote><p>Quoted</p></blockquote>" in html
    assert "<p>Not a heading</p>" in html
    assert '<figure><img src="https://example.org/i.jpg" alt=""></figure>' in html
    assert "<ul><li>a</li><li>b</li></ul>" in html
    assert notes == [
        "a pull-quote section became a quotation",
        "a section of unknown type 99 was left out",
    ]


def test_a_mobiledoc_markdown_card_is_taken_from_ghosts_html_else_rendered():
    doc = {
        "version": "0.3.1",
        "cards": [["markdown", {"markdown": "*one*"}], ["card-markdown", {"markdown": "*two*"}]],
        "sections": [[10, 0], [10, 1], [10, 5]],
    }
    ghost_html = (
        "<!--kg-card-begin: markdown--><p>ONE as Ghost made it</p><!--kg-card-end: markdown-->"
    )
    html, notes = mobiledoc.render(json.dumps(doc), ghost_html)
    assert html == "<p>ONE as Ghost made it</p><p><em>two</em></p>\n"
    assert notes == ["a section named a card the document does not have"]


@pytest.mark.parametrize(
    ("value", "message"),
    [("{", "not JSON"), ('{"sections": 3}', "no sections"), ("[]", "no sections")],
)
def test_a_malformed_mobiledoc_document_is_refused(value, message):
    with pytest.raises(mobiledoc.MobiledocError, match=message):
        mobiledoc.render(value)
