"""Fixtures for the sign-in security tests: the newsroom's people in their roles, and an
empty cache (lockouts and rate limits live there) before and after each test."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache

from masthead.publishing.roles import ADMINISTRATORS, CONTRIBUTORS, EDITORS

PASSWORD = "a-long-test-password-for-the-newsroom"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def make_person(username, group_name=None, **extra):
    user = User.objects.create_user(
        username,
        f"{username}@newsroom.test",
        PASSWORD,
        first_name=username.capitalize(),
        last_name="Example",
        **extra,
    )
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    return user


@pytest.fixture
def editor(db):
    return make_person("editor", EDITORS)


@pytest.fixture
def contributor(db):
    return make_person("contributor", CONTRIBUTORS)


@pytest.fixture
def administrator(db):
    return make_person("administrator", ADMINISTRATORS)


@pytest.fixture
def superuser(db):
    return make_person("chief", is_superuser=True, is_staff=True)
