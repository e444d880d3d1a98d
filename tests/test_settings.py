"""Settings from the environment: production refuses unsafe configuration and passes
`check --deploy` cleanly; the URL parsers build the right database, cache and email settings;
embedded SQLite runs in WAL mode with IMMEDIATE transactions.

Anything that depends on how the settings module reads the environment runs in a fresh
subprocess, because the settings of this test process are already loaded.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from masthead.settings import cache_from_url, email_from_url

PROJECT_DIR = Path(__file__).resolve().parent.parent
# Only what a process needs to run; every Masthead variable is set explicitly per test.
BASE_ENVIRONMENT_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def clean_environment(data_dir, **variables):
    """An environment with none of Masthead's variables set except ``variables``."""
    environment = {key: os.environ[key] for key in BASE_ENVIRONMENT_KEYS if key in os.environ}
    environment["MASTHEAD_DATA_DIR"] = str(data_dir)
    environment.update(variables)
    return environment


def run_manage(data_dir, *args, **variables):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env=clean_environment(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_values(data_dir, *names, **variables):
    """Import the settings module in a fresh process and return the named settings."""
    script = (
        "import json, sys\n"
        "import masthead.settings as s\n"
        "print(json.dumps({name: getattr(s, name) for name in sys.argv[1:]}, default=str))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names],
        cwd=PROJECT_DIR,
        env=clean_environment(data_dir, **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def django_script_output(data_dir, script, **variables):
    """What ``script`` prints as JSON, run with Django set up in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=clean_environment(data_dir, DJANGO_SETTINGS_MODULE="masthead.settings", **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def production_variables(data_dir, **overrides):
    variables = {
        "MASTHEAD_MODE": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "news.example.org",
        "SITE_URL": "https://news.example.org",
        "DATABASE_URL": f"sqlite:///{data_dir / 'production.sqlite3'}",
        # What Masthead's own deploy checks ask for (tests/core/test_deploy_checks.py).
        "EMAIL_URL": "smtp://mail.example.org:587?tls=1",
        "ADMIN_EMAILS": "ops@example.org",
        "PAYMENTS_PROVIDER": "stripe",
        "STRIPE_SECRET_KEY": "sk_test_placeholder",
        "STRIPE_WEBHOOK_SECRET": "whsec_placeholder",
    }
    variables.update(overrides)
    return {key: value for key, value in variables.items() if value is not None}


# --- Production mode -----------------------------------------------------------------------------


def test_production_without_secret_key_refuses_to_start_with_a_clear_message(tmp_path):
    result = run_manage(
        tmp_path, "check", "--deploy", **production_variables(tmp_path, SECRET_KEY=None)
    )

    assert result.returncode == 1
    assert "Production mode needs a real SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_with_a_short_secret_key_refuses_to_start(tmp_path):
    result = run_manage(
        tmp_path, "check", **production_variables(tmp_path, SECRET_KEY="too-short-a-key")
    )

    assert result.returncode == 1
    assert "Production mode needs a real SECRET_KEY" in result.stderr


def test_production_without_allowed_hosts_refuses_to_start(tmp_path):
    result = run_manage(
        tmp_path, "check", "--deploy", **production_variables(tmp_path, ALLOWED_HOSTS=None)
    )

    assert result.returncode == 1
    assert "Production mode needs ALLOWED_HOSTS" in result.stderr


def test_production_refuses_a_wildcard_host_and_debug(tmp_path):
    wildcard = run_manage(tmp_path, "check", **production_variables(tmp_path, ALLOWED_HOSTS="*"))
    debug = run_manage(tmp_path, "check", **production_variables(tmp_path, DEBUG="1"))

    assert wildcard.returncode == 1
    assert "Production mode needs ALLOWED_HOSTS" in wildcard.stderr
    assert debug.returncode == 1
    assert "DEBUG must be off in production mode." in debug.stderr


def test_production_without_database_url_refuses_the_sqlite_default_in_one_line(tmp_path):
    result = run_manage(tmp_path, "migrate", **production_variables(tmp_path, DATABASE_URL=None))

    assert result.returncode == 1
    assert result.stderr == (
        "masthead: configuration error: Production mode needs DATABASE_URL and does not fall "
        "back to SQLite; load the service's environment first: "
        "set -a; . /etc/masthead/masthead.env; set +a\n"
    )
    assert not (tmp_path / "masthead.sqlite3").exists()


def test_production_takes_an_explicit_sqlite_database_url(tmp_path):
    database = settings_values(tmp_path, "DATABASES", **production_variables(tmp_path))

    assert database["DATABASES"]["default"]["NAME"] == str(tmp_path / "production.sqlite3")


def test_production_configuration_passes_check_deploy_without_warnings(tmp_path):
    result = run_manage(tmp_path, "check", "--deploy", **production_variables(tmp_path))

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # The one silenced: that HSTS preloading is off, which is for the outlet to ask for.
    assert "System check identified no issues (1 silenced)." in output
    assert "WARNING" not in output


def test_hsts_preload_is_opt_in(tmp_path):
    default = settings_values(
        tmp_path, "SECURE_HSTS_PRELOAD", "SILENCED_SYSTEM_CHECKS", **production_variables(tmp_path)
    )
    opted_in = run_manage(
        tmp_path, "check", "--deploy", **production_variables(tmp_path, SECURE_HSTS_PRELOAD="1")
    )

    assert default == {"SECURE_HSTS_PRELOAD": False, "SILENCED_SYSTEM_CHECKS": ["security.W021"]}
    assert opted_in.returncode == 0, opted_in.stderr
    assert "System check identified no issues (0 silenced)." in opted_in.stdout


def test_production_security_settings(tmp_path):
    values = settings_values(
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
        "X_FRAME_OPTIONS",
        "WHITENOISE_USE_FINDERS",
        **production_variables(tmp_path, SECURE_SSL_REDIRECT="0"),
    )

    assert values == {
        "SECURE_SSL_REDIRECT": False,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_PRELOAD": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "X_FRAME_OPTIONS": "DENY",
        "WHITENOISE_USE_FINDERS": False,
    }


def test_unknown_mode_is_refused(tmp_path):
    result = run_manage(tmp_path, "check", MASTHEAD_MODE="staging")

    assert result.returncode == 1
    assert "MASTHEAD_MODE must be demo, development or production." in result.stderr


# --- DATABASE_URL --------------------------------------------------------------------------------


def test_database_defaults_to_sqlite_in_the_data_directory(tmp_path):
    database = settings_values(tmp_path, "DATABASES")["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(tmp_path / "masthead.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "PRAGMA journal_mode=WAL" in database["OPTIONS"]["init_command"]


def test_database_url_selects_sqlite_file_or_postgres(tmp_path):
    sqlite = settings_values(
        tmp_path, "DATABASES", DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}"
    )["DATABASES"]["default"]
    postgres = settings_values(
        tmp_path,
        "DATABASES",
        "USING_POSTGRES",
        DATABASE_URL="postgres://newsroom:s%40fe@db.internal:6543/ledger",
    )

    assert sqlite["ENGINE"] == "django.db.backends.sqlite3"
    assert sqlite["NAME"] == str(tmp_path / "other.db")
    database = postgres["DATABASES"]["default"]
    assert postgres["USING_POSTGRES"] is True
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "ledger",
        "newsroom",
        "s@fe",
    )
    assert (database["HOST"], database["PORT"]) == ("db.internal", 6543)
    assert database["CONN_MAX_AGE"] == 60
    assert database["CONN_HEALTH_CHECKS"] is True
    # An unreachable or silent database server is noticed in seconds.
    assert database["OPTIONS"]["connect_timeout"] == 5
    assert database["OPTIONS"]["keepalives"] == 1
    assert database["OPTIONS"]["keepalives_idle"] == 30


def test_database_url_parameters_win_over_the_connection_defaults(tmp_path):
    database = settings_values(
        tmp_path,
        "DATABASES",
        DATABASE_URL="postgres://newsroom@db.internal/ledger?connect_timeout=20",
        DATABASE_CONNECT_TIMEOUT="9",
    )["DATABASES"]["default"]
    assert database["OPTIONS"]["connect_timeout"] == 20

    configured = settings_values(
        tmp_path,
        "DATABASES",
        DATABASE_URL="postgres://newsroom@db.internal/ledger",
        DATABASE_CONNECT_TIMEOUT="9",
    )["DATABASES"]["default"]
    assert configured["OPTIONS"]["connect_timeout"] == 9


def test_postgresql_prepares_statements_unless_told_not_to(tmp_path):
    """Parameters bound on the server and statements prepared from their fifth run, by
    default; off for a pooler that cannot keep them; SQLite has neither."""
    url = "postgres://newsroom@db.internal/ledger"
    options = settings_values(tmp_path, "DATABASES", DATABASE_URL=url)["DATABASES"]["default"][
        "OPTIONS"
    ]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)
    off = settings_values(tmp_path, "DATABASES", DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="0")
    assert "server_side_binding" not in off["DATABASES"]["default"]["OPTIONS"]
    assert "prepare_threshold" not in off["DATABASES"]["default"]["OPTIONS"]
    sqlite = settings_values(tmp_path, "DATABASES")["DATABASES"]["default"]
    assert "server_side_binding" not in sqlite.get("OPTIONS", {})


def test_unsupported_database_url_is_refused(tmp_path):
    result = run_manage(tmp_path, "check", DATABASE_URL="nosuchdb://localhost/x")

    assert result.returncode == 1
    assert "nosuchdb" in result.stderr


def test_embedded_sqlite_uses_wal_and_immediate_transactions(tmp_path):
    # A transaction that has only read still holds the write lock with IMMEDIATE: a second
    # writer is turned away at once instead of failing later with "database is locked".
    script = """
import json, sqlite3
import django
django.setup()
from django.db import connection, transaction

with connection.cursor() as cursor:
    cursor.execute("PRAGMA journal_mode")
    journal_mode = cursor.fetchone()[0]
    cursor.execute("PRAGMA busy_timeout")
    busy_timeout = cursor.fetchone()[0]
with transaction.atomic():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        second_writer = "allowed"
    except sqlite3.OperationalError as error:
        second_writer = str(error)
    finally:
        other.close()
print(json.dumps([journal_mode, busy_timeout, second_writer]))
"""
    assert django_script_output(tmp_path, script) == ["wal", 20000, "database is locked"]


SQLITE_SIZES = """
import json
import django
django.setup()
from django.db import connection

cursor = connection.cursor()
sizes = [cursor.execute(f"PRAGMA {name}").fetchone()[0] for name in ("cache_size", "mmap_size")]
print(json.dumps(sizes))
"""


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, [-16 * 1024, 0]),  # 16 MB of page cache per connection, no mapping
        ({"SQLITE_CACHE_MB": "64", "SQLITE_MMAP_MB": "256"}, [-64 * 1024, 256 * 1024 * 1024]),
        ({"SQLITE_CACHE_MB": "0"}, [-1024, 0]),  # never less than 1 MB
    ],
)
def test_sqlite_connections_have_the_page_cache_and_mapping_asked_for(
    tmp_path, variables, expected
):
    assert django_script_output(tmp_path, SQLITE_SIZES, **variables) == expected


@pytest.mark.parametrize("variable", ["SQLITE_CACHE_MB", "SQLITE_MMAP_MB"])
@pytest.mark.parametrize("value", ["lots", "-5", "1.5"])
def test_a_size_that_is_not_a_whole_number_of_megabytes_is_refused(tmp_path, variable, value):
    result = run_manage(tmp_path, "check", **{variable: value})

    assert result.returncode == 1
    assert f"{variable} must be a whole number of megabytes, not '{value}'." in result.stderr


def test_an_sqlite_connection_is_kept_from_one_request_to_the_next(tmp_path):
    # Opening one (the file, then the PRAGMAs) cost about a third of an uncached page.
    script = """
import json
import django
django.setup()
from django.core.signals import request_finished, request_started
from django.db import connection

request_started.send(sender=None)
with connection.cursor() as cursor:
    cursor.execute("SELECT 1")
first = connection.connection
request_finished.send(sender=None)
request_started.send(sender=None)
kept = connection.connection is first and first is not None
request_finished.send(sender=None)
print(json.dumps([connection.settings_dict["CONN_MAX_AGE"], kept]))
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=clean_environment(tmp_path, DJANGO_SETTINGS_MODULE="masthead.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [60, True]


# --- CACHE_URL -----------------------------------------------------------------------------------


def test_cache_url_redis():
    cache = cache_from_url("redis://cache.internal:6379/2")

    assert cache == {
        "BACKEND": "masthead.core.resilient_cache.ResilientRedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,
            "SOCKET_TIMEOUT": 1.0,
        },
    }


def test_cache_url_locmem_dummy_and_file():
    assert cache_from_url("locmem://") == {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
    }
    assert cache_from_url("dummy://") == {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    assert cache_from_url("file:///srv/masthead/cache%20dir") == {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": "/srv/masthead/cache dir",
        "OPTIONS": {"MAX_ENTRIES": 20_000},
    }


def test_cache_url_unsupported_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL scheme 'memcached'"):
        cache_from_url("memcached://127.0.0.1:11211")


def test_redis_cache_keeps_sessions_in_the_cache_and_the_database(tmp_path):
    values = settings_values(tmp_path, "SESSION_ENGINE", CACHE_URL="redis://127.0.0.1:6379/0")

    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


# --- EMAIL_URL -----------------------------------------------------------------------------------


def test_email_url_smtp_with_tls_and_credentials():
    email = email_from_url("smtp://news%40example.org:p%40ss%2Fword@mail.example.org:587?tls=1")

    assert email == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.org",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "news@example.org",
        "EMAIL_HOST_PASSWORD": "p@ss/word",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 30,
    }


def test_email_url_smtps_defaults_to_ssl_on_port_465():
    email = email_from_url("smtps://mail.example.org?timeout=10")

    assert (email["EMAIL_PORT"], email["EMAIL_USE_SSL"], email["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    assert email["EMAIL_TIMEOUT"] == 10
    assert email["EMAIL_HOST_USER"] == ""


def test_email_url_file_console_memory_and_anymail():
    assert email_from_url("file:///var/mail/masthead") == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": "/var/mail/masthead",
    }
    assert email_from_url("console://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"
    }
    assert email_from_url("memory://") == {
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"
    }
    assert email_from_url("anymail://postmark") == {
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend"
    }


def test_email_url_unsupported_scheme_is_refused():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL scheme 'pop3'"):
        email_from_url("pop3://mail.example.org")


def test_anymail_settings_come_from_anymail_variables(tmp_path):
    values = settings_values(
        tmp_path,
        "ANYMAIL",
        "EMAIL_BACKEND",
        EMAIL_URL="anymail://postmark",
        ANYMAIL_ESP="postmark",
        ANYMAIL_POSTMARK_SERVER_TOKEN="token-for-tests",
    )

    assert values == {
        "ANYMAIL": {"POSTMARK_SERVER_TOKEN": "token-for-tests"},
        "EMAIL_BACKEND": "anymail.backends.postmark.EmailBackend",
    }


# --- Documentation -------------------------------------------------------------------------------


def test_every_environment_variable_is_documented_in_the_readme():
    sources = [
        PROJECT_DIR / "masthead" / "settings.py",
        PROJECT_DIR / "masthead" / "gunicorn_config.py",
        PROJECT_DIR / "masthead" / "cli.py",
    ]
    names = set()
    for source in sources:
        names |= set(
            re.findall(
                r"""(?:env|env_bool|env_list|env_megabytes|environ\.get)\(\s*["']([A-Z0-9_]+)["']""",
                source.read_text(),
            )
        )
    readme = (PROJECT_DIR / "README.md").read_text()

    assert {"DATABASE_URL", "MASTHEAD_BIND", "WEB_CONCURRENCY"} <= names
    assert sorted(name for name in names if f"`{name}`" not in readme) == []
