"""The floors of the architecture are enforced by import-linter's contracts in
pyproject.toml: the tree as it stands keeps them, and a forbidden import or an import
circle added to a copy of the tree breaks them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(project_dir):
    """Run lint-imports on ``project_dir`` (its pyproject.toml and its masthead package)."""
    environment = {**os.environ, "PYTHONPATH": str(project_dir)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(project_dir / "pyproject.toml")],
        cwd=project_dir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree_copy(tmp_path):
    """A copy of the project's code and contracts, to break on purpose."""
    shutil.copy(PROJECT_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        PROJECT_DIR / "masthead",
        tmp_path / "masthead",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "content"),
    )
    return tmp_path


def test_the_tree_keeps_every_contract():
    result = lint_imports(PROJECT_DIR)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_core_importing_an_app_breaks_the_floors(tree_copy):
    (tree_copy / "masthead/core/upward.py").write_text(
        "from masthead.shop.models import Product\n\nPRODUCT = Product\n"
    )
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert "masthead.core is not allowed to import masthead.shop" in result.stdout
    assert "masthead.core.upward -> masthead.shop.models" in result.stdout


def test_apps_on_one_floor_may_not_import_each_other(tree_copy):
    (tree_copy / "masthead/donations/sideways.py").write_text(
        "def order_count():\n    from masthead.shop.models import Order\n\n"
        "    return Order.objects.count()\n"
    )
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert "masthead.donations is not allowed to import masthead.shop" in result.stdout


def test_a_circle_inside_one_app_is_refused_even_inside_a_function(tree_copy):
    (tree_copy / "masthead/payments/first.py").write_text(
        "from masthead.payments import second\n\nNAME = second.__name__\n"
    )
    (tree_copy / "masthead/payments/second.py").write_text(
        "def first_name():\n    from masthead.payments import first\n\n    return first.NAME\n"
    )
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert "No cycles are allowed in masthead.payments." in result.stdout


def test_an_app_left_off_the_floors_breaks_them(tree_copy):
    (tree_copy / "masthead/events").mkdir()
    (tree_copy / "masthead/events/__init__.py").write_text("")
    (tree_copy / "masthead/events/models.py").write_text(
        "from masthead.core.models import SiteSettings\n\nSETTINGS = SiteSettings\n"
    )
    result = lint_imports(tree_copy)
    assert result.returncode == 1
    assert "The following modules are not listed as layers:" in result.stdout
    assert "- masthead.events\n" in result.stdout
