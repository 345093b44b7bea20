"""The README's map of the code stays whole: every module and package of trainops is named in its
"Development" section, and nothing it names is gone."""

from __future__ import annotations

import re

from tests.support.paths import REPO

PACKAGE = REPO / "trainops"


def _development_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Development\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def _modules() -> set[str]:
    """`cli.py`, `manifest/`, `manifest/load.py`, ...: paths relative to trainops/."""
    out: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel in ("__init__.py", "__main__.py"):
            continue
        out.add(rel[: -len("__init__.py")] if rel.endswith("/__init__.py") else rel)
    return out


def test_the_development_section_names_every_module_and_package() -> None:
    section = _development_section()
    named = {
        n for n in re.findall(r"`([a-z_/]+(?:\.py|/))`", section) if not n.startswith("tests/")
    }
    assert sorted(_modules() - named) == [], "modules missing from README Development"
    assert sorted(named - _modules()) == [], "README Development names modules that are gone"
