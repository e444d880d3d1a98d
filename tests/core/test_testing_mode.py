"""The test defaults (throwaway data directory, in-process cache and mailbox, tasks run at
once) come only from MASTHEAD_TESTING, never from pytest merely being imported."""

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
SCRIPT = (
    "import json, pytest\n"
    "import masthead.settings as s\n"
    "print(json.dumps([s.TESTING, s.TASK_BACKEND, s.EMAIL_URL]))\n"
)


def settings_with(data_dir, **variables):
    environment = {"PATH": os.environ["PATH"], "MASTHEAD_DATA_DIR": str(data_dir), **variables}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_importing_pytest_does_not_turn_on_the_test_defaults(tmp_path):
    assert settings_with(tmp_path) == [False, "database", "console://"]


def test_masthead_testing_turns_on_the_test_defaults(tmp_path):
    assert settings_with(tmp_path, MASTHEAD_TESTING="1") == [True, "immediate", "memory://"]
