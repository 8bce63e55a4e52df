"""Addon data files: rows an addon loads into a tenant once, on enable (or as demo).

A data file is JSON: ``{"model": "package.module:Class", "rows": [{...}, ...]}``.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyramid.path import DottedNameResolver
from sqlalchemy.orm import Session

from .manifest import Manifest, ManifestError


def load_data_file(session: Session, manifest: Manifest, relative: str) -> int:
    """Add the rows of one data file of ``manifest`` to ``session``; return how many."""
    path = manifest.folder / relative
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
        model = DottedNameResolver().resolve(content["model"])
        rows = content["rows"]
    except (ValueError, KeyError, ImportError) as exc:
        raise ManifestError(f"{path}: not a data file of the form "
                            f'{{"model": "module:Class", "rows": [...]}} ({exc})') from None
    if not model.__module__.startswith(manifest.package + "."):
        raise ManifestError(f"{path}: model {content['model']} is not one of "
                            f"addon {manifest.name}'s own")
    session.add_all(model(**row) for row in rows)
    return len(rows)
