"""`trainops schema`: the JSON Schema of manifest documents, for editors."""

from __future__ import annotations

import json

from trainops.commands import EXIT_OK
from trainops.manifest.schema import json_schema


def run_schema() -> int:
    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK
