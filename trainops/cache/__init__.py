"""Caches under `<root>/.trainops/`, pure optimisations: deleting them changes no result.

load    the load of the manifests, wrapped from outside: reused while its inputs are unchanged
verify  TRAINOPS_CACHE=verify: each cached load checked against a load without any cache
hashes  content facts of training files, keyed by their stat (a `FactSource` for validation)
memo    one stored load as JSON (never pickle: a pull request could plant one)
stats   the stats of what a load depended on, packed
tree    the directories a load may have listed, each walked once
codec   desired models, workspaces and diagnostics as JSON values
clean   `trainops cache clean`: both caches of a workspace removed
"""
