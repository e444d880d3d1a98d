"""Submitting an admin form as a browser would: every field as the page renders it, with
some changed."""

from bs4 import BeautifulSoup

TEXT_INPUTS = {"text", "hidden", "email", "password", "number", "url", "tel", "date", "search"}


def form_fields(html, action):
    """The fields the POST form whose action is ``action`` (or empty: the page itself) would
    send, as {name: [values]}."""
    soup = BeautifulSoup(html, "html.parser")
    form = next(
        form
        for form in soup.find_all("form")
        if (form.get("method") or "").lower() == "post"
        and (form.get("action") or "") in {action, ""}
    )
    data = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "textarea":
            data.setdefault(name, []).append(field.text)
        elif field.name == "select":
            chosen = [
                option.get("value", option.text)
                for option in field.find_all("option")
                if option.has_attr("selected")
            ]
            data.setdefault(name, []).extend(chosen)
        elif (field.get("type") or "text").lower() in {"checkbox", "radio"}:
            if field.has_attr("checked"):
                data.setdefault(name, []).append(field.get("value", "on"))
        elif (field.get("type") or "text").lower() in TEXT_INPUTS:
            data.setdefault(name, []).append(field.get("value", ""))
    return data


def submit(client, url, changes):
    """GET the admin form at ``url``, change some fields (a value, a list of values, or None
    to leave a field out) and POST it back; returns the response."""
    data = form_fields(client.get(url).content.decode(), url)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value if isinstance(value, list) else [value]
    return client.post(url, data)
