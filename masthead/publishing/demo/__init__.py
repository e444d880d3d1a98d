"""The demo outlet: a fictional reader-funded local newsroom, built by ``demo_content``.

``texts`` and ``articles`` hold the words, ``images`` draws the pictures, ``builder``
turns them into pages, and ``generator`` adds bulk articles for benchmarks.
"""
