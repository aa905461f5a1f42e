"""Every pinned package is listed in the README with the same version and a reason, and
the installed environment is exactly what the requirements files pin."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(filename: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / filename).read_text("utf-8").splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-r"):
            continue
        name, _, version = line.partition("==")
        assert version, f"{filename}: {line!r} is not pinned with =="
        pins[_normal(name)] = version
    return pins


def _readme_table() -> dict[str, tuple[str, str]]:
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Dependencies", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| ([^|]+?) \|$", section, flags=re.M)
    return {_normal(name): (version, why) for name, version, why in rows
            if name not in ("package", "---")}


def test_the_readme_lists_every_pinned_package_with_its_version_and_why():
    pins = {**_pins("requirements.txt"), **_pins("requirements-test.txt")}
    table = _readme_table()
    assert {name: version for name, (version, _why) in table.items()} == pins
    assert all(len(why) > 10 for _version, why in table.values())


def test_the_environment_holds_exactly_the_pinned_versions():
    """Nothing unpinned slipped in: every installed package is pinned, at that version."""
    pins = {**_pins("requirements.txt"), **_pins("requirements-test.txt")}
    pins = {re.sub(r"\[.*\]", "", name): version for name, version in pins.items()}
    installed = {_normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    installed = {name: version for name, version in installed.items()
                 if name not in ("pip", "setuptools", "wheel")}
    assert installed == pins
