"""The reader's comment form: the text, the name shown with it, and the comment it replies to
(checked by ``masthead.social.comment_text``; whether it may be posted at all is
``masthead.social.comments``' to say)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from masthead.social import comment_text


class CommentForm(forms.Form):
    # No max_length here: a browser would silently cut a pasted text to fit, and the reader
    # would lose the end of it. The length is checked, and said, by clean_body.
    body = forms.CharField(label=_("Your comment"), required=False, widget=forms.Textarea)
    name = forms.CharField(label=_("Name shown with your comment"), required=False)
    parent = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_body(self):
        return comment_text.clean_body(self.cleaned_data.get("body"))

    def clean_name(self):
        return comment_text.clean_name(self.cleaned_data.get("name"))

    def clean_parent(self):
        return (self.cleaned_data.get("parent") or "").strip()[:20]
