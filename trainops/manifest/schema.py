"""The manifest schema: pydantic models for `kind: Model` and `kind: Workspace` documents, the
JSON Schema editors use, and the translation of pydantic errors into located diagnostics.

Only the document's shape lives here; rules that need the files or the API's parameter table
(`trainops.manifest.parameters`) are checked by `manifest`.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import ErrorDetails

from trainops.errors import Diagnostic
from trainops.links import check_model_link
from trainops.manifest.parameters import MODEL_TYPES, PARAMETERS, ParamSpec, family_label
from trainops.manifest.yamlmarks import Document

API_VERSION = "trainops/v1"
SCHEMA_URL = "https://json-schema.org/draft/2020-12/schema"
KEY_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
# Limits on a model's texts that the API enforces (issue 12); the SDK types state none.
MAX_NAME = 64
MAX_SHORT_DESCRIPTION = 256
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"

Loc = tuple[str | int, ...]


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=False,
        protected_namespaces=(),
        strict=True,
        frozen=True,
    )


class SecretRefSpec(_Strict):
    """`{env: NAME}`: read the value from this environment variable at apply time."""

    env: str = Field(pattern=ENV_PATTERN)


def _path_entry(value: object) -> object:
    return {"path": value} if isinstance(value, str) else value


class FileEntry(_Strict):
    """A training file or glob; `caption` (images only) overrides the `<stem>.txt` file."""

    path: str = Field(min_length=1, description="file or glob, relative to this manifest")
    caption: str | None = Field(default=None, description="training caption for these files")


FileItem = Annotated[
    FileEntry,
    BeforeValidator(_path_entry, json_schema_input_type=str | FileEntry),
]


class PairEntry(_Strict):
    """One edit example: the model learns to turn `source` into `target` given `instruction`."""

    source: str = Field(min_length=1)
    target: str = Field(min_length=1)
    instruction: str = Field(min_length=1)


def _param_schema(spec: ParamSpec) -> dict[str, Any]:
    if spec.secret:
        return {
            "type": "object",
            "description": f"secret: {{env: NAME}} only. {spec.description}".strip(),
            "properties": {"env": {"type": "string", "pattern": ENV_PATTERN}},
            "required": ["env"],
            "additionalProperties": False,
        }
    kind = {"string[]": "array"}.get(spec.kind, spec.kind)
    out: dict[str, Any] = {"type": kind}
    if spec.kind == "string[]":
        out["items"] = {"type": "string"}
    if spec.enum:
        out["enum"] = list(spec.enum)
    if spec.minimum is not None:
        out["exclusiveMinimum" if spec.exclusive_minimum else "minimum"] = spec.minimum
    if spec.maximum is not None:
        out["maximum"] = spec.maximum
    only = f"Only for {family_label(spec.families)}."
    out["description"] = f"{spec.description}. {only}" if spec.description else only
    return out


_PARAMETERS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "training parameters of PUT /models/{id}/train, camelCase as in the API",
    "properties": {name: _param_schema(spec) for name, spec in sorted(PARAMETERS.items())},
    "additionalProperties": False,
}

Parameters = Annotated[dict[str, Any], WithJsonSchema(_PARAMETERS_SCHEMA)]
ModelType = Annotated[str, WithJsonSchema({"type": "string", "enum": sorted(MODEL_TYPES)})]


Key = Annotated[str, Field(pattern=KEY_PATTERN)]


class Metadata(_Strict):
    name: str = Field(
        pattern=KEY_PATTERN,
        description="stable key: lowercase letters, digits and '-', unique in the workspace",
    )
    previous_names: list[Key] = Field(
        default_factory=list,
        description="keys this model had before (a rename): the live model of one is re-tagged "
        "with metadata.name, never created and trained again",
    )


class ModelSpec(_Strict):
    type: ModelType = Field(description="a trainable model type of the Scenario API")
    name: str | None = Field(
        default=None,
        max_length=MAX_NAME,
        description=f"display name (default: metadata.name), at most {MAX_NAME} characters",
    )
    short_description: str | None = Field(
        default=None,
        max_length=MAX_SHORT_DESCRIPTION,
        description=f"at most {MAX_SHORT_DESCRIPTION} characters",
    )
    tags: list[str] = Field(default_factory=list)
    model_id: str | None = Field(default=None, description="adopt this existing Scenario model")
    training_images: list[FileItem] = Field(
        default_factory=list, description="image files or globs, relative to this manifest"
    )
    training_image_pairs: list[PairEntry] = Field(
        default_factory=list, description="edit types: source -> target examples"
    )
    training_samples: list[FileItem] = Field(
        default_factory=list, description="elevenlabs-voice: audio files or globs"
    )
    parameters: Parameters = Field(default_factory=dict)


class ModelDoc(_Strict):
    api_version: Literal["trainops/v1"]
    kind: Literal["Model"]
    metadata: Metadata
    spec: ModelSpec


def _pricing(value: object) -> object:
    # `pricing: true` in YAML is a boolean: it means the API's dryRun=true.
    return "true" if value is True else value


Pricing = Annotated[
    Literal["api", "true"],
    BeforeValidator(_pricing),
    WithJsonSchema({"enum": ["api", "true", True]}),
]


class MovedEntry(_Strict):
    """A rename kept in trainops.yaml (as Terraform's moved blocks): the live model of key
    `from` becomes that of `to` by re-tagging, never created and trained again."""

    from_: str = Field(alias="from", pattern=KEY_PATTERN, description="the previous key")
    to: str = Field(pattern=KEY_PATTERN, description="the metadata.name it has now")


class Links(_Strict):
    model: str | None = Field(
        default=None,
        description="a model's page in Scenario's web app: an https:// URL with {modelId} "
        "(default https://app.scenario.com/models/{modelId})",
    )

    @field_validator("model")
    @classmethod
    def _model_link(cls, value: str | None) -> str | None:
        why = None if value is None else check_model_link(value)
        if why is not None:
            raise ValueError(why)
        return value


class WorkspaceDoc(_Strict):
    api_version: Literal["trainops/v1"]
    kind: Literal["Workspace"]
    workspace: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]+$",
        description="the workspace's identity in its models' tags: required against the Scenario "
        "API (the git top-level directory name serves --sandbox only)",
    )
    project_id: str | None = None
    parallelism: int = Field(default=8, ge=1, le=64, description="models applied at once")
    budget: float | None = Field(default=None, gt=0, description="max creative units per plan")
    pricing: Pricing = Field(
        default="api",
        description="the dryRun plans are priced with: api (the API tier trainops is billed "
        "at, default) or true (the API's other estimate)",
    )
    merge_cost_tolerance: float = Field(
        default=10.0,
        ge=0,
        le=1000,
        description="percent the trainings apply starts on merge may cost above the prices "
        "reviewed in the pull request (default 10)",
    )
    moved: list[MovedEntry] = Field(
        default_factory=list,
        description="renamed models, {from: old-key, to: new-key} each: re-tagged, not retrained",
    )
    links: Links | None = Field(default=None, description="links the outcome comment gives")


AnyDoc = Annotated[ModelDoc | WorkspaceDoc, Field(discriminator="kind")]


def json_schema() -> dict[str, object]:
    """The JSON Schema of a trainops YAML document (Model or Workspace), for editors."""
    schema = TypeAdapter(AnyDoc).json_schema(by_alias=True)
    return {"$schema": SCHEMA_URL, "title": "trainops manifest", **schema}


# --- pydantic errors -> (loc, message, hint) ------------------------------------------------

_CONTEXTS: dict[tuple[str, ...], type[BaseModel]] = {
    ("metadata",): Metadata,
    ("spec",): ModelSpec,
    ("spec", "trainingImages", "#"): FileEntry,
    ("spec", "trainingSamples", "#"): FileEntry,
    ("spec", "trainingImagePairs", "#"): PairEntry,
    ("moved", "#"): MovedEntry,
}


def _aliases(cls: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in cls.model_fields.items()]


def did_you_mean(word: str, choices: list[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _unknown_field_hint(root: type[BaseModel], loc: Loc) -> str:
    parent = tuple("#" if isinstance(p, int) else p for p in loc[:-1])
    cls = root if not parent else _CONTEXTS.get(parent, root)
    choices = _aliases(cls)
    return did_you_mean(str(loc[-1]), choices) or f"known fields: {', '.join(choices)}"


def explain(root: type[BaseModel], err: ErrorDetails) -> tuple[Loc, str, str | None]:
    loc: Loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        return loc, "unknown field", _unknown_field_hint(root, loc)
    if kind == "missing":
        return loc, "required field is missing", None
    if kind == "string_pattern_mismatch" and loc == ("metadata", "name"):
        hint = "use lowercase letters, digits and '-' (at most 63), e.g. hero-character"
        return loc, "invalid name", hint
    if kind == "string_too_long":
        return _too_long(loc, err)
    if kind == "model_type" and loc[1:2] in (("trainingImages",), ("trainingSamples",)):
        return loc, "expected a path or glob string, or a mapping with a path", None
    msg = err["msg"].split(" or instance of ")[0]
    return loc, msg[0].lower() + msg[1:], None


def _too_long(loc: Loc, err: ErrorDetails) -> tuple[Loc, str, str | None]:
    limit = (err.get("ctx") or {}).get("max_length")
    value = err.get("input")
    got = f", got {len(value)}" if isinstance(value, str) else ""
    # The API refuses it at apply, after plan said yes: say so before anything is spent.
    hint = "shorten it: the API refuses a longer one at apply"
    return loc, f"must be at most {limit} characters{got}", hint


def field_name(loc: Loc) -> str:
    """`spec.trainingImages[0].path` from a loc tuple."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


M = TypeVar("M", bound=BaseModel)


def validate(cls: type[M], doc: Document, shown: str) -> tuple[M | None, list[Diagnostic]]:
    """The document as `cls`, or None and one located diagnostic per problem."""
    try:
        return cls.model_validate(doc.data), []
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc, message, hint = explain(cls, err)
            out.append(Diagnostic(shown, doc.line_of(loc), field_name(loc), message, hint))
        return None, out
