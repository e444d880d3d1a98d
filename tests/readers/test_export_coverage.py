"""Every table that can hold data about a reader is covered by the data rights: a model with
an email address, an IP address or a link to a Reader must be in some app's share of
personal data (so it is exported and erased), or be declared not readers' data, with why.

A new model with an address that nobody registers fails here, naming it."""

from django.apps import apps
from django.db import models

from masthead.readers import registry

ADDRESS_FIELD_NAMES = {"email", "customer_email"}


def reader_data_fields(model):
    """The fields of ``model`` that can hold data about a reader."""
    found = []
    for field in model._meta.concrete_fields:
        holds_address = isinstance(field, models.EmailField | models.GenericIPAddressField)
        links_reader = (
            field.is_relation
            and field.related_model is not None
            and (field.related_model._meta.label == "readers.Reader")
        )
        if holds_address or links_reader or field.name in ADDRESS_FIELD_NAMES:
            found.append(field.name)
    return found


def uncovered(all_models, covered):
    """``{model label: [fields]}`` for each model holding reader data that ``covered``
    (a set of labels) leaves out."""
    missing = {}
    for model in all_models:
        fields = reader_data_fields(model)
        if fields and model._meta.label not in covered:
            missing[model._meta.label] = fields
    return missing


def covered_labels():
    labels = set(registry.not_personal.reasons)
    for share in registry.personal_data():
        labels.update(share.models)
    return labels


def test_every_model_holding_reader_data_is_exported_and_erased():
    missing = uncovered(apps.get_models(), covered_labels())
    for label, fields in sorted(missing.items()):
        print(f"Not in any share of personal data nor declared not readers' data: {label} {fields}")
    assert missing == {}


def test_every_declared_model_exists_and_says_why():
    for label in covered_labels():
        apps.get_model(label)
    for label, reason in registry.not_personal.reasons.items():
        assert str(reason).strip(), label


def test_the_check_fails_for_a_model_nobody_registered():
    reader_model = apps.get_model("readers.Reader")
    session_model = apps.get_model("readers.ReaderSession")
    page_model = apps.get_model("wagtailcore.Page")
    assert uncovered([reader_model, session_model, page_model], set()) == {
        "readers.Reader": ["email"],
        "readers.ReaderSession": ["reader"],
    }
    assert uncovered([reader_model, session_model], {"readers.Reader"}) == {
        "readers.ReaderSession": ["reader"]
    }


def test_the_fields_that_count_are_found():
    assert reader_data_fields(apps.get_model("newsletter.ConsentRecord")) == ["ip_address"]
    assert "reader" in reader_data_fields(apps.get_model("readers.DataRequest"))
    assert reader_data_fields(apps.get_model("wagtailcore.Page")) == []
