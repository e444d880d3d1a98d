"""deploy/masthead.env.example is read two ways in production: by systemd
(``EnvironmentFile=``) for the services, and by bash (``set -a; . masthead.env; set +a``)
for the commands an operator types. Both must read every line, and agree on every value."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
EXAMPLE = PROJECT_DIR / "deploy" / "masthead.env.example"

# systemd's env-file parser (src/basic/env-file.c), as systemd.exec(5) describes
# EnvironmentFile=.
NEWLINE = "\n\r"
WHITESPACE = " \t\n\r"
COMMENTS = "#;"
DOUBLE_QUOTE_ESCAPES = '"\\`$'


def parse_systemd_environment_file(text):
    """The variables systemd sets from an EnvironmentFile with this text, in file order.

    KEY=VALUE lines; lines starting with # or ; are comments. An unquoted value keeps its
    interior whitespace and loses the leading and trailing; a backslash keeps the next
    character. A single-quoted value is verbatim; a double-quoted one honours the shell's
    escapes of " \\ ` $. Quotes only count at the start of a value (or right after a
    closing quote): anywhere else they are kept as they are.
    """
    variables = {}
    state = "pre_key"
    key = value = ""
    last_whitespace = None

    def push():
        variables[key.rstrip(WHITESPACE)] = value

    for character in text + "\n":
        if state == "pre_key":
            if character in COMMENTS:
                state = "comment"
            elif character not in WHITESPACE:
                state, key = "key", character
        elif state == "key":
            if character in NEWLINE:
                state = "pre_key"
            elif character == "=":
                state, value = "pre_value", ""
            else:
                key += character
        elif state == "pre_value":
            if character in NEWLINE:
                push()
                state = "pre_key"
            elif character == "'":
                state = "single_quote"
            elif character == '"':
                state = "double_quote"
            elif character == "\\":
                state = "value_escape"
            elif character not in WHITESPACE:
                state, value = "value", value + character
        elif state == "value":
            if character in NEWLINE:
                if last_whitespace is not None:
                    value = value[:last_whitespace]
                push()
                state, last_whitespace = "pre_key", None
            elif character == "\\":
                state, last_whitespace = "value_escape", None
            else:
                if character in WHITESPACE:
                    if last_whitespace is None:
                        last_whitespace = len(value)
                else:
                    last_whitespace = None
                value += character
        elif state == "value_escape":
            state = "value"
            if character not in NEWLINE:
                value += character
        elif state == "single_quote":
            if character == "'":
                state = "pre_value"
            else:
                value += character
        elif state == "double_quote":
            if character == '"':
                state = "pre_value"
            elif character == "\\":
                state = "double_quote_escape"
            else:
                value += character
        elif state == "double_quote_escape":
            state = "double_quote"
            if character in DOUBLE_QUOTE_ESCAPES:
                value += character
            elif character != "\n":
                value += "\\" + character
        elif state == "comment":
            if character == "\\":
                state = "comment_escape"
            elif character in NEWLINE:
                state = "pre_key"
        elif state == "comment_escape":
            state = "comment"
    return variables


def source_in_bash(path):
    """The variables ``set -u -e; set -a; . path; set +a`` defines or changes in a clean bash,
    whether it reached the end of the file, and what it wrote to standard error."""
    script = (
        "set -u -e\n"
        "env -0 > before.env\n"
        'set -a; . "$1"; set +a\n'
        "env -0 > after.env\n"
        "echo reached-the-end\n"
    )
    workdir = path.parent
    result = subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script, "bash", str(path)],
        cwd=workdir,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=30,
    )

    def read(name):
        file = workdir / name
        if not file.exists():
            return {}
        entries = file.read_text().split("\0")
        return dict(entry.split("=", 1) for entry in entries if entry)

    before, after = read("before.env"), read("after.env")
    defined = {
        name: value
        for name, value in after.items()
        if before.get(name) != value and name not in {"_", "OLDPWD"}
    }
    return defined, result.stdout.strip() == "reached-the-end", result.stderr


def copy_example(tmp_path):
    path = tmp_path / "masthead.env"
    path.write_text(EXAMPLE.read_text())
    return path


def test_the_systemd_parser_reads_quotes_escapes_and_comments_as_systemd_does():
    text = (
        "# a comment\n"
        "; another\n"
        "PLAIN=  two words  \n"
        "SINGLE='it''s <verbatim> \\n'\n"
        'DOUBLE="say \\"hi\\" \\$HOME \\n"\n'
        "INNER=a'b'c\n"
        "EMPTY=\n"
        "ESCAPED=one\\ two\\\\\n"
    )

    assert parse_systemd_environment_file(text) == {
        "PLAIN": "two words",
        "SINGLE": "its <verbatim> \\n",
        "DOUBLE": 'say "hi" $HOME \\n',
        "INNER": "a'b'c",
        "EMPTY": "",
        "ESCAPED": "one two\\",
    }


def test_bash_sources_the_example_to_its_last_line_without_errors(tmp_path):
    path = copy_example(tmp_path)

    defined, reached_the_end, errors = source_in_bash(path)

    assert errors == ""
    assert reached_the_end
    last_key = list(parse_systemd_environment_file(path.read_text()))[-1]
    assert last_key in defined


def test_bash_and_systemd_read_the_same_value_for_every_variable(tmp_path):
    path = copy_example(tmp_path)

    defined, reached_the_end, _errors = source_in_bash(path)
    parsed = parse_systemd_environment_file(path.read_text())

    assert reached_the_end
    assert defined == parsed
    assert parsed["MASTHEAD_SITE_NAME"] == "The Example Ledger"
    assert parsed["DEFAULT_FROM_EMAIL"] == "The Example Ledger <newsroom@example.org>"
    assert parsed["SERVER_EMAIL"] == "Masthead <alerts@example.org>"
    assert parsed["EMAIL_URL"] == (
        "smtp://newsroom%40example.org:change-me@smtp.example.org:587?tls=1"
    )


def test_the_examples_log_levels_are_the_defaults_the_readme_states(tmp_path):
    readme = (PROJECT_DIR / "README.md").read_text()
    row = re.search(
        r"^\| `LOG_LEVEL` \| `(\w+)` \(`(\w+)` for Masthead's own loggers\) \|", readme, re.M
    )
    variables = parse_systemd_environment_file(EXAMPLE.read_text())
    variables.update(
        {
            "PATH": os.environ["PATH"],
            "SECRET_KEY": secrets.token_urlsafe(64),
            "MASTHEAD_DATA_DIR": str(tmp_path),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    script = (
        "import json, masthead.settings as s; "
        "print(json.dumps([s.LOGGING['root']['level'], s.LOGGING['loggers']['masthead']['level']]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=variables,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [row[1], row[2]] == ["WARNING", "INFO"]
