"""The newsroom's roles, exercised through the admin as each kind of user would use it:
contributors write and submit, editors review, publish, schedule and unpublish, and only
administrators manage users."""

import io
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, WorkflowState
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from masthead.publishing.models import ArticlePage
from masthead.publishing.roles import (
    ADMINISTRATORS,
    CONTRIBUTORS,
    EDITORIAL_REVIEW_WORKFLOW,
    EDITORS,
    apply_roles,
)
from tests.publishing.factories import make_article, make_author, make_site_tree

PASSWORD = "a-long-test-password-for-the-newsroom"


def make_user(username, group_name):
    user = User.objects.create_user(username, f"{username}@newsroom.test", PASSWORD)
    user.groups.add(Group.objects.get(name=group_name))
    return user


def article_form(title, author, article=None, **extra):
    """What the admin's article form posts, with ``extra`` fields or actions added; for an
    existing ``article`` its byline is posted as it stands."""
    if article is None:
        byline = inline_formset([{"author": author.pk}], min=1)
    else:
        links = list(article.article_authors.all())
        byline = inline_formset(
            [{"id": link.pk, "author": link.author_id} for link in links],
            initial=len(links),
            min=1,
        )
    data = nested_form_data(
        {
            "title": title,
            "slug": "",
            "standfirst": "A short summary of the story for readers.",
            "article_type": "news",
            "article_authors": byline,
            "body": streamfield([("paragraph", rich_text("<p>The story in full.</p>"))]),
            "tags": "",
            "sources": inline_formset([]),
            "corrections": inline_formset([]),
            "comments": inline_formset([]),
            "go_live_at": "",
            "expire_at": "",
        }
    )
    data["slug"] = title.lower().replace(" ", "-")
    data.update(extra)
    return data


def schedule_field(moment):
    """A date as the admin's date picker writes it, in the site's time zone."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def tree():
    return make_site_tree()


@pytest.fixture
def author(tree):
    return make_author(tree.author_index, name="Sam Rivers")


@pytest.fixture
def contributor(client):
    return make_user("contributor", CONTRIBUTORS)


@pytest.fixture
def editor():
    return make_user("editor", EDITORS)


def add_url(section):
    return reverse("wagtailadmin_pages:add", args=["publishing", "articlepage", section.pk])


def edit_url(page):
    return reverse("wagtailadmin_pages:edit", args=[page.pk])


def assert_refused(response):
    """Wagtail answers a refused admin request by sending the user back to the dashboard."""
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")


def create_as(client, user, section, data):
    client.force_login(user)
    return client.post(add_url(section), data)


@pytest.mark.django_db
def test_migration_creates_the_three_roles_and_the_editorial_review_workflow():
    home = Page.objects.get(depth=2)
    workflow = home.get_workflow()
    assert workflow.name == EDITORIAL_REVIEW_WORKFLOW
    [task] = [task.specific for task in workflow.tasks]
    assert [group.name for group in task.groups.all()] == [EDITORS]
    contributors = GroupPagePermission.objects.filter(group__name=CONTRIBUTORS)
    assert [(p.page_id, p.permission.codename) for p in contributors] == [(home.pk, "add_page")]
    editor_codenames = set(
        GroupPagePermission.objects.filter(group__name=EDITORS).values_list(
            "permission__codename", flat=True
        )
    )
    assert editor_codenames == {"add_page", "change_page", "publish_page", "lock_page"}


@pytest.mark.django_db
def test_setup_roles_can_run_again_without_duplicating_anything():
    before = GroupPagePermission.objects.count()
    output = io.StringIO()
    call_command("setup_roles", stdout=output)
    call_command("setup_roles", stdout=output)
    assert GroupPagePermission.objects.count() == before
    assert "Roles ready: Contributors, Editors, Administrators." in output.getvalue()
    assert Group.objects.filter(name__in=[CONTRIBUTORS, EDITORS, ADMINISTRATORS]).count() == 3


@pytest.mark.django_db
def test_contributor_creates_a_draft_in_a_section_and_submits_it(client, tree, author, editor):
    contributor = make_user("contributor", CONTRIBUTORS)
    response = create_as(
        client, contributor, tree.section, article_form("Park benches repaired", author)
    )
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="park-benches-repaired")
    assert article.live is False
    assert article.owner == contributor

    response = client.post(
        edit_url(article),
        article_form("Park benches repaired", author, article, **{"action-submit": "1"}),
    )
    assert response.status_code == 302
    state = WorkflowState.objects.get(object_id=str(article.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.workflow.name == EDITORIAL_REVIEW_WORKFLOW
    assert state.requested_by == contributor
    article.refresh_from_db()
    assert article.live is False


@pytest.mark.django_db
def test_contributor_cannot_publish(client, tree, author):
    contributor = make_user("contributor", CONTRIBUTORS)
    data = article_form("Market moves indoors", author, **{"action-publish": "1"})
    response = create_as(client, contributor, tree.section, data)
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="market-moves-indoors")
    assert article.live is False
    assert article.has_unpublished_changes is True

    response = client.post(
        edit_url(article),
        article_form("Market moves indoors", author, article, **{"action-publish": "1"}),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.live is False
    assert article.first_published_at is None


@pytest.mark.django_db
def test_contributor_cannot_open_someone_elses_draft(client, tree, author):
    other = make_user("other-contributor", CONTRIBUTORS)
    create_as(client, other, tree.section, article_form("Choir seeks tenors", author))
    article = ArticlePage.objects.get(slug="choir-seeks-tenors")

    client.force_login(make_user("contributor", CONTRIBUTORS))
    assert_refused(client.get(edit_url(article)))
    response = client.post(
        edit_url(article),
        article_form("Choir seeks no one", author, article, **{"action-submit": "1"}),
    )
    assert_refused(response)
    article.refresh_from_db()
    assert article.get_latest_revision().content["title"] == "Choir seeks tenors"
    assert not WorkflowState.objects.filter(object_id=str(article.pk)).exists()


@pytest.mark.django_db
def test_contributor_cannot_edit_a_published_article_owned_by_someone_else(client, tree, author):
    article = make_article(tree.section, [author], title="Ferry timetable changes")
    client.force_login(make_user("contributor", CONTRIBUTORS))
    assert_refused(client.get(edit_url(article)))
    response = client.post(
        edit_url(article),
        article_form("Ferry cancelled", author, article, **{"action-submit": "1"}),
    )
    assert_refused(response)
    article.refresh_from_db()
    assert article.title == "Ferry timetable changes"
    assert article.get_latest_revision().content["title"] == "Ferry timetable changes"


@pytest.mark.django_db
def test_contributor_cannot_unpublish(client, tree, author):
    article = make_article(tree.section, [author], title="Allotment waiting list")
    client.force_login(make_user("contributor", CONTRIBUTORS))
    response = client.post(reverse("wagtailadmin_pages:unpublish", args=[article.pk]))
    assert_refused(response)
    article.refresh_from_db()
    assert article.live is True


@pytest.mark.django_db
def test_a_go_live_date_set_by_a_contributor_is_not_kept_even_after_approval(
    client, tree, author, editor
):
    contributor = make_user("contributor", CONTRIBUTORS)
    later = timezone.now() + timedelta(days=3)
    data = article_form(
        "Pool reopens",
        author,
        go_live_at=schedule_field(later),
        expire_at=schedule_field(later + timedelta(days=1)),
    )
    response = create_as(client, contributor, tree.section, data)
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="pool-reopens")
    assert article.go_live_at is None
    assert article.get_latest_revision().content["go_live_at"] is None

    data = article_form(
        "Pool reopens",
        author,
        article,
        go_live_at=schedule_field(later),
        **{"action-submit": "1"},
    )
    client.post(edit_url(article), data)
    article.refresh_from_db()
    assert article.get_latest_revision().content["go_live_at"] is None
    assert article.get_latest_revision().content["expire_at"] is None

    # The editor approves what was submitted: it goes live now, not on the contributor's date.
    client.force_login(editor)
    task_state = WorkflowState.objects.get(object_id=str(article.pk)).current_task_state
    client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[article.pk, "approve", task_state.pk])
    )
    article.refresh_from_db()
    assert article.live is True
    assert article.expire_at is None
    assert not article.revisions.filter(approved_go_live_at__isnull=False).exists()


@pytest.mark.django_db
def test_editor_approves_a_submission_and_it_is_published(client, tree, author, editor):
    contributor = make_user("contributor", CONTRIBUTORS)
    data = article_form("Night buses return", author, **{"action-submit": "1"})
    create_as(client, contributor, tree.section, data)
    article = ArticlePage.objects.get(slug="night-buses-return")
    assert article.live is False

    client.force_login(editor)
    task_state = WorkflowState.objects.get(object_id=str(article.pk)).current_task_state
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[article.pk, "approve", task_state.pk])
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.live is True
    state = WorkflowState.objects.get(object_id=str(article.pk))
    assert state.status == WorkflowState.STATUS_APPROVED


@pytest.mark.django_db
def test_contributor_cannot_approve_a_submission(client, tree, author):
    writer = make_user("writer", CONTRIBUTORS)
    create_as(
        client,
        writer,
        tree.section,
        article_form("Harbour wall survey", author, **{"action-submit": "1"}),
    )
    article = ArticlePage.objects.get(slug="harbour-wall-survey")
    task_state = WorkflowState.objects.get(object_id=str(article.pk)).current_task_state

    client.force_login(make_user("contributor", CONTRIBUTORS))
    response = client.post(
        reverse("wagtailadmin_pages:workflow_action", args=[article.pk, "approve", task_state.pk])
    )
    assert_refused(response)
    article.refresh_from_db()
    assert article.live is False


@pytest.mark.django_db
def test_editor_publishes_directly(client, tree, author, editor):
    response = create_as(
        client,
        editor,
        tree.section,
        article_form("Council tax frozen", author, **{"action-publish": "1"}),
    )
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="council-tax-frozen")
    assert article.live is True
    assert article.owner == editor


@pytest.mark.django_db
def test_editor_schedules_an_article_which_stays_offline_until_its_time(
    client, tree, author, editor
):
    later = timezone.now() + timedelta(hours=2)
    data = article_form(
        "Bridge opening ceremony",
        author,
        go_live_at=schedule_field(later),
        **{"action-publish": "1"},
    )
    response = create_as(client, editor, tree.section, data)
    assert response.status_code == 302
    article = ArticlePage.objects.get(slug="bridge-opening-ceremony")
    assert article.live is False
    scheduled = article.revisions.get(approved_go_live_at__isnull=False)
    assert scheduled.approved_go_live_at == later.replace(second=0, microsecond=0)
    client.logout()
    assert client.get(article.url).status_code == 404


@pytest.mark.django_db
def test_editor_unpublishes(client, tree, author, editor):
    article = make_article(tree.section, [author], title="Road closure notice")
    client.force_login(editor)
    response = client.post(reverse("wagtailadmin_pages:unpublish", args=[article.pk]))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.live is False


@pytest.mark.django_db
def test_editor_can_edit_anyones_article_and_site_settings(client, tree, author, editor):
    article = make_article(tree.section, [author], title="Festival programme announced")
    client.force_login(editor)
    assert client.get(edit_url(article)).status_code == 200
    settings_url = reverse("wagtailsettings:edit", args=["core", "sitesettings", tree.site.pk])
    assert client.get(settings_url).status_code == 200


@pytest.mark.django_db
def test_only_administrators_manage_users(client, editor):
    users_url = reverse("wagtailusers_users:index")
    client.force_login(make_user("contributor", CONTRIBUTORS))
    assert_refused(client.get(users_url))
    client.force_login(editor)
    assert_refused(client.get(users_url))
    client.force_login(make_user("administrator", ADMINISTRATORS))
    assert client.get(users_url).status_code == 200
    response = client.get(reverse("wagtailusers_groups:index"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_contributor_cannot_open_site_settings(client, tree):
    client.force_login(make_user("contributor", CONTRIBUTORS))
    settings_url = reverse("wagtailsettings:edit", args=["core", "sitesettings", tree.site.pk])
    assert_refused(client.get(settings_url))


@pytest.mark.django_db
def test_editors_are_emailed_when_a_contributor_submits(
    client, tree, author, editor, smtp_mailbox, django_capture_on_commit_callbacks
):
    contributor = make_user("contributor", CONTRIBUTORS)
    with django_capture_on_commit_callbacks(execute=True):
        create_as(
            client,
            contributor,
            tree.section,
            article_form("Lido reopening date set", author, **{"action-submit": "1"}),
        )
    [message] = smtp_mailbox.wait_for(1)
    assert message.rcpt_tos == ["editor@newsroom.test"]
    assert "Lido reopening date set" in message.subject
    assert "Lido reopening date set" in message.text()


@pytest.mark.django_db
def test_editors_and_administrators_get_every_permission_on_snippet_models():
    apply_roles(django_apps, snippet_models=[("taggit", "Tag")])
    tag_permissions = {"add_tag", "change_tag", "delete_tag", "view_tag"}
    for name in (EDITORS, ADMINISTRATORS):
        codenames = set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))
        assert tag_permissions <= codenames
    contributors = Group.objects.get(name=CONTRIBUTORS)
    assert not contributors.permissions.filter(codename__in=tag_permissions).exists()
