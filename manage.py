#!/usr/bin/env python
"""Django's command-line utility for Masthead; `masthead` is the same with a friendlier name."""

import sys

from masthead.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
