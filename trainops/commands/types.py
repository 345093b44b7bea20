"""`trainops types [TYPE]`: the trainable model types, or the parameters one type takes."""

from __future__ import annotations

import difflib

from trainops.catalog import type_data, types_data
from trainops.commands import EXIT_OK
from trainops.errors import ConfigError
from trainops.manifest.parameters import MODEL_TYPES
from trainops.render.types import render_type_text, render_types_json, render_types_text


def run_types(model_type: str | None, *, fmt: str = "text") -> int:
    if model_type is None:
        listed = types_data()
        print(render_types_json(listed) if fmt == "json" else render_types_text(listed), end="")
        return EXIT_OK
    if model_type not in MODEL_TYPES:
        close = difflib.get_close_matches(model_type, MODEL_TYPES, n=1)
        raise ConfigError(
            f"unknown model type {model_type!r}",
            hint=(f"did you mean {close[0]}? " if close else "")
            + "`trainops types` lists the trainable types",
        )
    data = type_data(model_type)
    print(render_types_json(data) if fmt == "json" else render_type_text(data), end="")
    return EXIT_OK
