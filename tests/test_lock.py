"""requirements.lock is what a new machine installs: it must agree with pyproject.toml.

`make lock` regenerates it; this test fails when a dependency was added or its range changed in
pyproject.toml without regenerating the lock, and when the running environment is not the lock's.
"""
from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def locked() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        m = PIN.match(line)
        if m:
            pins[canonicalize_name(m.group(1))] = Version(m.group(2))
            # every pin carries its hashes on the continuation lines
            assert "--hash=sha256:" in lines[i + 1], f"{m.group(1)} has no hash in requirements.lock"
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"]) + list(project["optional-dependencies"]["test"])
    return [Requirement(r) for r in reqs]


def test_every_dependency_is_locked_within_its_range():
    pins = locked()
    assert len(pins) > 100
    wrong = []
    for req in declared():
        name = canonicalize_name(req.name)
        if name not in pins:
            wrong.append(f"{req.name}: not in requirements.lock")
        elif not req.specifier.contains(pins[name], prereleases=True):
            wrong.append(f"{req.name}: locked {pins[name]}, pyproject.toml asks {req.specifier}")
    assert not wrong, "run `make lock`:\n" + "\n".join(wrong)


def test_the_check_fails_on_a_range_the_lock_does_not_meet():
    pins = locked()
    req = Requirement("av<12")
    assert not req.specifier.contains(pins["av"], prereleases=True)


def test_the_environment_is_the_lock():
    """What setup.sh installed is what the lock says (a package installed by hand shows up here)."""
    pins = locked()
    off = []
    for name, version in pins.items():
        try:
            have = Version(metadata.version(name))
        except metadata.PackageNotFoundError:
            off.append(f"{name}: locked {version}, not installed")
            continue
        if have != version:
            off.append(f"{name}: locked {version}, installed {have}")
    if off and not (ROOT / ".venv" / ".minxin-installed").exists():
        pytest.skip("not installed by scripts/setup.sh")
    assert not off, "run `make setup` (scripts/setup.sh installs requirements.lock):\n" + "\n".join(off)


def test_every_area_of_the_house_is_installed():
    """A new area (a top-level package) left out of packages.find imports in the tests (the repo is
    on their path) and fails under the installed `minxin` command (the demo did, for search/)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    areas = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "samples", "scripts"}
    missing = sorted(a for a in areas if f"{a}*" not in include)
    assert not missing, f"add to [tool.setuptools.packages.find] include: {missing}"
