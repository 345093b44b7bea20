"""What the user wrote, read and checked: no network, no API.

workspace   trainops.yaml: the root, the workspace name, its settings
load        find the manifests, validate each (schema, files, parameters), lint, build Desired
yamlmarks   YAML with the line of every key, for `file:line: field: message` diagnostics
schema      the manifest's shape (pydantic) and the JSON Schema editors use
parameters  the API's training parameters per model type, with their ranges and defaults
resolve     a model's training files and parameters, resolved and checked against the rules
files       globs and paths inside the workspace root, caption sidecars, media checks
media       what a file is from its bytes: sha256, format, pixel size, duration, completeness
lfs         Git LFS pointer files: the oid and size a plan needs, without the content
guard       the one gate for every file a manifest makes us read: inside the root, regular, capped
lint        dataset advice (warnings): image counts, sizes, learning rates
lintgroups  warnings for the terminal: one line per model and kind; the advice told apart
emit        writing a manifest for an existing model (`trainops import`)
"""
