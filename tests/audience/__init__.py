"""Tests of the audience app: cookieless counting, roll-ups and attribution."""
