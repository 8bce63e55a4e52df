"""Addon manifests: ``manifest.toml`` beside the addon's ``__init__.py``.

Reading a manifest runs no code of the addon: the file is located through the
import system's spec (which does not execute the package) and parsed as TOML.
"""

from __future__ import annotations

import importlib.util
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

NAME = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class ManifestError(Exception):
    """A manifest is missing or malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Override:
    point: str  # dotted name of the interface
    addon: str  # the addon that provides it


@dataclass(frozen=True)
class Manifest:
    """What an addon is, needs, provides and overrides."""

    name: str
    version: Version
    summary: str
    license: str
    author: str
    package: str  # dotted import name of the addon's package
    path: Path  # the manifest file
    depends: tuple[Requirement, ...] = ()
    provides: tuple[str, ...] = ()
    overrides: tuple[Override, ...] = ()
    industries: tuple[str, ...] = ("*",)
    data: tuple[str, ...] = ()
    demo: tuple[str, ...] = ()
    alembic_branch: str | None = None
    distribution: str | None = field(default=None, compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent


def _expect(path: Path, key: str, value: Any, kind: type | tuple, what: str) -> Any:
    if not isinstance(value, kind):
        raise ManifestError(f"{path}: key '{key}' must be {what}, not {value!r}")
    return value


def _strings(path: Path, data: dict, key: str) -> tuple[str, ...]:
    values = _expect(path, key, data.get(key, []), list, "a list of strings")
    for value in values:
        _expect(path, key, value, str, "a list of strings")
    return tuple(values)


def manifest_path(package: str) -> Path:
    """Where ``package``'s manifest lives, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ManifestError(f"addon package {package} is not installed or not a package")
    return Path(list(spec.submodule_search_locations)[0]) / "manifest.toml"


def parse_manifest(path: Path, package: str, distribution: str | None = None) -> Manifest:
    """Parse and validate one manifest file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"{path}: no manifest.toml beside the addon's __init__.py") from None
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from None
    known = {"name", "version", "summary", "license", "author", "depends", "provides",
             "overrides", "industries", "data", "demo", "alembic_branch"}
    for key in data:
        if key not in known:
            raise ManifestError(f"{path}: unknown key '{key}'")
    for key in ("name", "version", "summary", "license", "author"):
        if key not in data:
            raise ManifestError(f"{path}: key '{key}' is required")
        _expect(path, key, data[key], str, "a string")
    name = data["name"]
    if not NAME.fullmatch(name):
        raise ManifestError(f"{path}: key 'name' must be 2-40 lower-case letters, digits or "
                            f"underscores starting with a letter, not {name!r}")
    try:
        version = Version(data["version"])
    except InvalidVersion:
        raise ManifestError(f"{path}: key 'version' must be a version like 1.2.0, "
                            f"not {data['version']!r}") from None
    depends = []
    for text in _strings(path, data, "depends"):
        try:
            depends.append(Requirement(text))
        except InvalidRequirement:
            raise ManifestError(f"{path}: key 'depends' has {text!r}, expected a name "
                                f"with an optional version constraint like 'contacts>=0.1'"
                                ) from None
    overrides = []
    for entry in _expect(path, "overrides", data.get("overrides", []), list,
                         "a list of {point = ..., addon = ...} tables"):
        _expect(path, "overrides", entry, dict, "a list of {point = ..., addon = ...} tables")
        if set(entry) != {"point", "addon"} or not all(isinstance(v, str) for v in
                                                       entry.values()):
            raise ManifestError(f"{path}: each entry of 'overrides' needs exactly the string "
                                f"keys 'point' and 'addon', not {entry!r}")
        overrides.append(Override(entry["point"], entry["addon"]))
    branch = data.get("alembic_branch")
    if branch is not None:
        _expect(path, "alembic_branch", branch, str, "a string")
    for key in ("data", "demo"):
        for relative in _strings(path, data, key):
            if not (path.parent / relative).is_file():
                raise ManifestError(f"{path}: key '{key}' names {relative}, which does not exist")
    return Manifest(
        name=name, version=version, summary=data["summary"], license=data["license"],
        author=data["author"], package=package, path=path, depends=tuple(depends),
        provides=_strings(path, data, "provides"), overrides=tuple(overrides),
        industries=_strings(path, data, "industries") or ("*",),
        data=_strings(path, data, "data"), demo=_strings(path, data, "demo"),
        alembic_branch=branch, distribution=distribution,
    )


def read_manifest(package: str, distribution: str | None = None) -> Manifest:
    """Locate and parse the manifest of the addon package ``package``."""
    return parse_manifest(manifest_path(package), package, distribution)
