"""Issue 11: random YAML and random manifest trees through `trainops validate`, in-process.

Whatever a pull request puts under the paths, validation ends with exit 0 or 1: never 3 (an
unexpected exception), never past the deadline of one example. Derandomized, so CI runs the
same examples every time; bounded so the file takes well under a minute.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.paths import IMAGES
from tests.support.yaml_bombs import BOMBS, HEADER
from trainops.cli import main

BOUNDED = settings(
    derandomize=True,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
)
WORKSPACE = "apiVersion: trainops/v1\nkind: Workspace\nworkspace: fuzz\n"
PNG = (IMAGES / "ok-01.png").read_bytes()

# Pieces of YAML that reach the parser's and the loader's corners when joined at random.
TOKENS = [
    *"[]{}:,-?&*!|>'\"#%@` \t\n",
    "apiVersion: trainops/v1\n",
    "kind: Model\n",
    "metadata:\n  name: m\n",
    "spec:\n",
    "  type: flux.1-lora\n",
    "  trainingImages: [img/*.png]\n",
    "  parameters: {maxTrainSteps: 10}\n",
    "---\n",
    "...\n",
    "&a ",
    "*a",
    "<<: *a\n",
    "!!int ",
    "!!binary ",
    "!custom ",
    "%YAML 1.1\n",
    "\ufeff",
    "\x00",
    "\u202e",
    "caf\xe9",
    "~",
    "1e400",
    "0x1F",
    "2026-12-01",
    "    ",
    *(BOMBS[name] for name in ("laughs", "recursive", "deep_flow", "deep_aliases")),
]
KEYS = [
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "spec",
    "type",
    "trainingImages",
    "trainingImagePairs",
    "trainingSamples",
    "parameters",
    "path",
    "caption",
    "source",
    "target",
    "instruction",
    "modelId",
    "tags",
    "shortDescription",
    "maxTrainSteps",
    "learningRate",
    "wandbKey",
    "env",
    "workspace",
    "parallelism",
    "budget",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "flux.1-lora",
            "trainops/v1",
            "Model",
            "img/*.png",
            "img/a.png",
            "../x",
            "/etc/passwd",
            "img/**",
            "WANDB_KEY",
        ]
    ),
    st.text(max_size=20),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), inner, max_size=5),
    ),
    max_leaves=25,
)
# What a training file on disk may be: its bytes, or how to make something that is not a file.
FILES: dict[str, Callable[[Path], None]] = {
    "png": lambda p: p.write_bytes(PNG),
    "truncated": lambda p: p.write_bytes(PNG[:60]),
    "text": lambda p: p.write_text("not an image"),
    "empty": lambda p: p.write_bytes(b""),
    "latin1": lambda p: p.write_bytes("caf\xe9".encode("latin-1")),
    "escape": lambda p: p.symlink_to("/proc/self/environ"),
    "dangling": lambda p: p.symlink_to(p.parent / "nowhere"),
    "loop": lambda p: p.symlink_to(p),
    "directory": lambda p: p.mkdir(),
    "fifo": lambda p: os.mkfifo(p),
}
NAMES = ["a.png", "a.txt", "b.jpg", "b.txt", "c.wav", "sub/d.png", "model.yaml", "x.yml"]


@contextlib.contextmanager
def _workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as top:
        root = Path(top) / "ws"
        (root / "img" / "sub").mkdir(parents=True)
        (root / "trainops.yaml").write_text(WORKSPACE)
        yield root


def _validate(root: Path) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(root)])
    return code, out.getvalue() + err.getvalue()


def _check(root: Path) -> None:
    code, shown = _validate(root)
    assert code in (0, 1), shown


@settings(BOUNDED, max_examples=300)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_random_yaml_text_is_valid_or_a_user_error(text: str) -> None:
    with _workspace() as root:
        (root / "m.yaml").write_bytes(text.encode("utf-8", "surrogatepass"))
        _check(root)


@settings(BOUNDED, max_examples=150)
@given(st.lists(st.sampled_from(TOKENS), max_size=20).map("".join))
def test_random_yaml_after_a_trainops_header_is_valid_or_a_user_error(text: str) -> None:
    with _workspace() as root:
        (root / "m.yaml").write_text(HEADER + text)
        _check(root)


def _tree(spec: Any) -> dict[str, Any]:
    return {"apiVersion": "trainops/v1", "kind": "Model", "metadata": {"name": "m"}, "spec": spec}


SPECS = st.fixed_dictionaries(
    {"type": st.sampled_from(["flux.1-lora", "sd-xl-lora", "flux.1-kontext-lora", "voice", "x"])},
    optional={
        "trainingImages": st.lists(
            st.one_of(st.sampled_from(["img/*.png", "img/**", "img/a.png", "img/*"]), VALUES),
            max_size=3,
        ),
        "trainingImagePairs": st.lists(VALUES, max_size=2),
        "trainingSamples": st.lists(VALUES, max_size=2),
        "parameters": st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4),
        "name": VALUES,
        "tags": VALUES,
        "modelId": VALUES,
    },
)


@settings(BOUNDED, max_examples=200)
@given(
    doc=st.one_of(SPECS.map(_tree), VALUES, st.dictionaries(st.sampled_from(KEYS), VALUES)),
    files=st.dictionaries(st.sampled_from(NAMES), st.sampled_from(sorted(FILES)), max_size=5),
    workspace=st.one_of(st.none(), VALUES),
)
def test_random_manifest_trees_and_files_are_valid_or_a_user_error(
    doc: Any, files: dict[str, str], workspace: Any
) -> None:
    with _workspace() as root:
        if workspace is not None:
            (root / "trainops.yaml").write_text(WORKSPACE + yaml.safe_dump(workspace))
        (root / "m.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
        for name, kind in files.items():
            path = root / "img" / name
            if not path.exists() and not path.is_symlink():
                FILES[kind](path)
        _check(root)
