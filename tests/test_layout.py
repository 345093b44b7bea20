"""The architecture holds: data flows one way between the packages, and no import cycle hides in
an import order."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.support.paths import REPO

PACKAGE = REPO / "trainops"
EDGE = (
    "__main__",
    "cli",
    "commands",
    "sandbox",
)  # only these may import the CLI, commands or the sandbox
# What each part must never import, at module level or inside a function.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "manifest": (
        "cache",
        "scenario",
        "read",
        "diff",
        "changes",
        "plan",
        "planfile",
        "pricing",
        "apply",
        "sync",
        "watch",
        "pipeline",
        "render",
        "github",
    ),
    "scenario": (
        "manifest",
        "cache",
        "read",
        "diff",
        "changes",
        "plan",
        "planfile",
        "pricing",
        "apply",
        "sync",
        "watch",
        "pipeline",
        "render",
        "github",
    ),
    "render": (
        "scenario",
        "cache",
        "read",
        "pricing",
        "apply",
        "sync",
        "watch",
        "pipeline",
        "github",
        "manifest",
    ),
    "desired": ("manifest", "cache", "scenario", "read", "diff", "plan", "render"),
    "live": ("manifest", "cache", "scenario", "read", "diff", "plan", "render"),
    "tags": ("manifest", "cache", "scenario", "read", "diff", "plan", "render", "desired", "live"),
    "diff": ("scenario", "cache", "manifest", "pricing", "apply", "render", "github"),
    "plan": ("scenario", "cache", "manifest", "read", "diff", "pricing", "apply", "render"),
}
THIRD_PARTY_FORBIDDEN = {"render": ("httpx",), "manifest": ("httpx",)}


def _module_name(path: object) -> str:
    rel = path.relative_to(PACKAGE).with_suffix("")  # type: ignore[attr-defined]
    parts = [p for p in rel.parts if p != "__init__"]
    return ".".join(parts)


def _imports() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
                found |= {f"{node.module}.{a.name}" for a in node.names}
        out[_module_name(path)] = found
    return out


def _part(module: str) -> str:
    return module.split(".")[0]


def test_data_flows_one_way_between_the_packages() -> None:
    wrong = []
    for module, imported in _imports().items():
        part = _part(module) if module else ""
        ours = {i.removeprefix("trainops.") for i in imported if i.startswith("trainops.")}
        for target in sorted(ours):
            if part not in EDGE and _part(target) in EDGE:
                wrong.append(f"{module} imports {target}: the core never imports {_part(target)}")
            if _part(target) in FORBIDDEN.get(part, ()):
                wrong.append(f"{module} imports {target}")
        for lib in THIRD_PARTY_FORBIDDEN.get(part, ()):
            if lib in imported:
                wrong.append(f"{module} imports {lib}")
    assert wrong == []


def test_every_module_imports_first_without_a_cycle() -> None:
    """An import cycle breaks only some import orders: import each module first, in turn."""
    modules = sorted(f"trainops.{m}" if m else "trainops" for m in _imports() if m != "__main__")
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    for old in [m for m in sys.modules if m.split('.')[0] == 'trainops']:\n"
        "        del sys.modules[old]\n"
        "    importlib.import_module(name)\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=120)
