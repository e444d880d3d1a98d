"""Private documents and images cannot be fetched by guessing /media/... (issue 10, defect
10): documents are served only by their view, which checks the collection's privacy, and
behind nginx hands the file over with X-Accel-Redirect; Django's own media serving (demo
and development) serves image renditions only, as the shipped nginx config does."""

import pytest
from django.core.files.base import ContentFile
from wagtail.documents.models import Document
from wagtail.models import Collection, CollectionViewRestriction
from wagtail.utils.sendfile import _get_sendfile

from tests.publishing.factories import make_image

SECRET_MEMO = b"Leaked memo: the minister knew in March.\n"


def make_document(title, collection=None):
    document = Document(
        title=title, file=ContentFile(SECRET_MEMO, name=f"{title.lower().replace(' ', '-')}.txt")
    )
    if collection is not None:
        document.collection = collection
    document.save()
    return document


def private_collection(restriction_type, **fields):
    collection = Collection.get_first_root_node().add_child(name=f"Desk ({restriction_type})")
    CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=restriction_type, **fields
    )
    return collection


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.fixture
def nginx_sends_files(settings):
    """Documents handed to nginx with X-Accel-Redirect, as in production behind nginx."""
    settings.MEDIA_X_ACCEL_REDIRECT = True
    settings.SENDFILE_BACKEND = "masthead.core.sendfile"
    _get_sendfile.clear()
    yield
    _get_sendfile.clear()


@pytest.mark.django_db
def test_a_document_in_a_password_collection_answers_with_the_password_page(client):
    document = make_document("Source notes", private_collection("password", password="s3cret"))

    response = client.get(document.url)

    assert response.status_code == 200
    assert SECRET_MEMO not in body(response)
    assert "X-Accel-Redirect" not in response
    assert 'name="password"' in response.content.decode()


@pytest.mark.django_db
def test_a_document_in_a_login_collection_sends_readers_to_sign_in(client, nginx_sends_files):
    document = make_document("Staff rota", private_collection("login"))

    response = client.get(document.url)

    assert response.status_code == 302
    assert response["Location"] == f"/_util/login/?next={document.url}"
    assert "X-Accel-Redirect" not in response


@pytest.mark.django_db
def test_documents_and_originals_are_not_served_from_media(client):
    document = make_document("Source notes", private_collection("password", password="s3cret"))
    image = make_image("Embargoed picture")
    rendition = image.get_rendition("width-100")

    assert client.get(f"/media/{document.file.name}").status_code == 404
    assert client.get(f"/media/{image.file.name}").status_code == 404
    assert document.file.name.startswith("documents/")
    assert image.file.name.startswith("original_images/")
    rendition_response = client.get(rendition.url)
    assert rendition_response.status_code == 200
    assert body(rendition_response).startswith(b"\x89PNG")


@pytest.mark.django_db
def test_a_public_document_is_handed_to_nginx_with_x_accel_redirect(client, nginx_sends_files):
    document = make_document("Annual accounts")

    response = client.get(document.url)

    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{document.file.name}"
    assert response.content == b""
    assert response["Content-Disposition"] == f'attachment; filename="{document.filename}"'
    assert response["Content-Security-Policy"] == "default-src 'none'"


@pytest.mark.django_db
def test_a_public_document_is_streamed_by_django_without_nginx(client):
    document = make_document("Annual accounts")

    response = client.get(document.url)

    assert response.status_code == 200
    assert body(response) == SECRET_MEMO
    assert "X-Accel-Redirect" not in response
