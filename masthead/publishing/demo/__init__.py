"""The demo outlet: a fictional reader-funded local newsroom, built by ``demo_content``.

The words are data in ``content/`` (articles, plain pages, people, the outlet's settings),
read by ``loader``; ``images`` draws the pictures, ``builder`` turns both into pages, and
``generator`` adds bulk articles for benchmarks.
"""
