"""The word list: what a new comment's words make of it.

Each entry (``WordRule``) holds a comment for moderation or refuses it. Entries match as
whole words or phrases, ignoring case and Unicode compatibility forms (full-width letters
match their plain ones), and runs of spaces count as one, so a phrase cannot be dodged with
extra spaces.
"""

import re
import unicodedata

from masthead.social.models import WordRule

HOLD = WordRule.Action.HOLD
REJECT = WordRule.Action.REJECT


def normalised(text):
    return " ".join(unicodedata.normalize("NFKC", text or "").casefold().split())


def _pattern(phrase):
    return re.compile(r"(?<!\w)" + re.escape(normalised(phrase)) + r"(?!\w)")


def action_for(text):
    """``REJECT`` if an entry refusing comments matches ``text``, else ``HOLD`` if one
    holding them does, else None."""
    haystack = normalised(text)
    found = None
    for phrase, action in WordRule.objects.values_list("phrase", "action"):
        if normalised(phrase) and _pattern(phrase).search(haystack):
            if action == REJECT:
                return REJECT
            found = HOLD
    return found
