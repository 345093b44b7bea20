"""Caches under `<root>/.trainops/`, pure optimisations: deleting them changes no result.

hashes  content facts of training files, keyed by their stat
load    the validated result of loading the manifests, keyed by the stat of every input
stats   the stats those keys are made of
codec   the JSON form of the load cache (never pickle: a pull request could plant one)
"""
