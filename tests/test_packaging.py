"""What `pip install .` gives an operator (not an editable install): a wheel carrying the
translations, data files and migrations, and a working `lapor-netral` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_the_wheel_carries_what_the_bot_reads_and_its_command_runs(tmp_path: Path) -> None:
    # Built from a copy: setuptools writes build/ and *.egg-info into the tree it builds,
    # and CI runs the suite twice at once on one checkout.
    source = tmp_path / "source"
    left_out = shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache"
    )
    shutil.copytree(
        ROOT,
        source,
        # The root's data/ is a developer's local database and evidence, not the package's.
        ignore=lambda folder, names: (
            left_out(folder, names) | ({"data"} if Path(folder) == ROOT else set())
        ),
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("lapor_netral-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "bot/locales/id/LC_MESSAGES/messages.po",
        "bot/locales/en/LC_MESSAGES/messages.po",
        "bot/data/regions.json",
        "bot/data/agencies.json",
        "storage/alembic.ini",
        "bot/web/static/style.css",
        "storage/migrations/env.py",
        "bot/playground/static/index.html",
        "bot/playground/static/playground.js",
        "bot/playground/static/playground.css",
    ):
        assert needed in names, needed
    assert any(name.startswith("storage/migrations/versions/0001") for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "lapor-netral = bot.entry:main" in zipfile.ZipFile(wheel).read(entry_points).decode()

    # Installed away from the source tree, with this environment's dependencies.
    target = tmp_path / "installed"
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"} | {"PYTHONPATH": str(target)}
    command = target / "bin" / "lapor-netral"
    helped = subprocess.run(
        [sys.executable, str(command), "--help"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert helped.returncode == 0, helped.stderr
    assert "purge" in helped.stdout and "check" in helped.stdout
    assert "playground" in helped.stdout
    translated = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bot; from bot.dispatch.i18n import create_i18n;"
            "print(bot.__file__); print(create_i18n('id').gettext('Help'));"
            "from bot.playground.web import _static;"
            "print(b'playground.js' in _static('index.html', 'text/html').body)",
        ],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert translated.returncode == 0, translated.stderr
    where, word, page_found = translated.stdout.split()
    assert where.startswith(str(target)), "the installed copy, not the source tree"
    assert word == "Bantuan"
    assert page_found == "True", "the playground's page is read from the installed package"
