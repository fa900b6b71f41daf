"""The release: `python -m build` makes an sdist and a wheel (built from the sdist, as build does), and the wheel
installs into a fresh virtualenv, not editable, with everything the app reads at run time inside it: templates,
static files, the OSCAL schemas, migrations, the catalog and the demo's examples. `punchlist demo --no-serve`
and `punchlist lint` then run from that install, far from the checkout.

The new virtualenv gets the dependencies from the package index pip is configured with (a local mirror or
PyPI); the wheel itself comes from the build, by its file name. Slow (a build and an install): marked ``slow``,
and run by `make test` like every other test."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
INSIDE = [  # one of each kind of file the app reads at run time, as the wheel must hold it
    "punchlist/web/templates/web/_nav.html",
    "punchlist/web/static/punchlist/app.css",
    "punchlist/reports/templates/reports/",
    "punchlist/interchange/schemas/oscal_poam_schema_1.1.3.json",
    "punchlist/register/migrations/0001_initial.py",
    "punchlist/core/data/",
    "punchlist/examples/ridgeline-poam.csv",
]
CHECK = """
import json, os, sys
import django
django.setup()
import punchlist
from django.contrib.staticfiles import finders
from django.db.migrations.loader import MigrationLoader
from django.template.loader import get_template
from punchlist.core.catalog import load_catalog
from punchlist.interchange.oscal_schema import schema_path
get_template("web/_nav.html")
print(json.dumps({"package": punchlist.__file__, "css": finders.find("punchlist/app.css"),
                  "schema": str(schema_path("1.1.3")), "requirements": len(load_catalog()),
                  "migrations": len(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)}))
"""


def _run(command, **options):
    done = subprocess.run(command, capture_output=True, text=True, **options)
    assert done.returncode == 0, (f"{command[:4]} exited {done.returncode}:\n{done.stdout[-3000:]}\n"
                                  f"{done.stderr[-3000:]}")
    return done


def _can_build_here() -> bool:
    """setuptools of the declared version is at hand: build without an isolated environment (no index needed)."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 69


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    isolation = ["--no-isolation"] if _can_build_here() else []
    _run([sys.executable, "-m", "build", *isolation, "--outdir", str(out), str(ROOT)], timeout=900)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A new virtualenv with the built wheel installed (not editable); its bin folder."""
    venv = tmp_path_factory.mktemp("venv") / "punchlist"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    (wheel,) = dist.glob("punchlist-*.whl")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
         timeout=1800)
    return venv / "bin"


def _environment(tmp_path) -> dict:
    keep = {name: value for name, value in os.environ.items()
            if not name.startswith(("PUNCHLIST_", "PYTHON", "DJANGO_", "VIRTUAL_ENV"))}
    return {**keep, "PUNCHLIST_DATA_DIR": str(tmp_path / "data"), "PUNCHLIST_SECRET_KEY": "r" * 60,
            "DJANGO_SETTINGS_MODULE": "punchlist.settings"}


def test_the_sdist_and_the_wheel_hold_what_the_app_reads(dist):
    (wheel,) = dist.glob("punchlist-*.whl")
    (sdist,) = dist.glob("punchlist-*.tar.gz")
    names = zipfile.ZipFile(wheel).namelist()
    for wanted in INSIDE:
        assert any(name.startswith(wanted) for name in names), f"{wanted} is not in {wheel.name}"
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)
    with tarfile.open(sdist) as archive:
        members = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for wanted in ("src/" + INSIDE[0], "src/" + INSIDE[-1], "Makefile", "MANIFEST.in", "docs/deploy.md",
                   "tests/test_release.py", "pyproject.toml"):
        assert wanted in members, f"{wanted} is not in {sdist.name}"


def test_the_installed_wheel_runs_the_demo_and_the_lint_away_from_the_checkout(installed, tmp_path):
    env = _environment(tmp_path)
    checked = json.loads(_run([str(installed / "python"), "-c", CHECK], env=env, cwd=tmp_path,
                              timeout=300).stdout.strip().splitlines()[-1])
    site = installed.parent / "lib"
    for found in (checked["package"], checked["css"], checked["schema"]):
        assert Path(found).resolve().is_relative_to(site.resolve()), (found, "is not inside the new virtualenv")
    assert checked["requirements"] == 110 and checked["migrations"] > 10

    demo = _run([str(installed / "punchlist"), "demo", "--no-serve", "--data-dir", str(tmp_path / "demo")], env=env,
                cwd=tmp_path, timeout=900)
    assert "Punchlist demo: Ridgeline Precision Machining" in demo.stdout
    assert f"Serve it with: {installed / 'punchlist'} demo --data-dir {tmp_path / 'demo'}" in demo.stdout or \
        f"Serve it with: punchlist demo --data-dir {tmp_path / 'demo'}" in demo.stdout

    example = Path(checked["package"]).parent / "examples" / "ridgeline-poam.csv"
    lint = subprocess.run([str(installed / "punchlist"), "lint", "--as-of", "2026-11-23", "--format", "json",
                           str(example)], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert lint.returncode == 1, lint.stderr[-3000:]  # findings: the example is a register with work to do
    report = json.loads(lint.stdout)
    assert report["items"] == 12 and report["findings"], report
