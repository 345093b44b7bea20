"""Live training files matched by content when their names carry no content hash.

trainops names every file it uploads `<sha prefix>-<name>` (`trainops.tags.image_name`), so the
diff matches files by that prefix. A model trained outside trainops (then adopted by `trainops
import`) has plain names: without this, every file would show as removed and added, and the
adopted model would train again for nothing. `hash_unnamed` downloads such a file once, hashes
it, and caches the hash by its asset id in `<root>/.trainops/asset-hashes.json`: an asset's bytes
never change under its id, so the cache needs no invalidation. The next plan downloads nothing.

The cache is a pure optimisation: a corrupt or foreign file is ignored and rebuilt.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from collections.abc import Mapping
from pathlib import Path

from trainops.desired import Desired
from trainops.live import Live, LiveImage, LiveModel
from trainops.scenario.client import Scenario
from trainops.statedir import read_entries, write_entries
from trainops.tags import sha_prefix

CACHE_VERSION = 1
CACHE_FILE = Path(".trainops") / "asset-hashes.json"


class AssetHashes:
    """sha256 of live assets by asset id, persisted under the workspace root."""

    def __init__(self, root: Path) -> None:
        self.file = root / CACHE_FILE
        self.entries = self._load()
        self.dirty = False
        self.downloads = 0  # files actually downloaded in this run (for reporting and tests)

    def _load(self) -> dict[str, str]:
        entries = read_entries(self.file, CACHE_VERSION)
        return {k: v for k, v in entries.items() if isinstance(v, str) and len(v) == 64}

    def prefix(self, asset_id: str) -> str | None:
        sha = self.entries.get(asset_id)
        return sha_prefix(sha) if sha else None

    def put(self, asset_id: str, data: bytes) -> None:
        self.entries[asset_id] = hashlib.sha256(data).hexdigest()
        self.downloads += 1
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        write_entries(self.file, CACHE_VERSION, self.entries, sort=True)
        self.dirty = False


def known_prefixes(root: Path) -> Mapping[str, str]:
    """Asset id -> content-hash prefix, as cached by earlier plans (for `trainops.sync`)."""
    cache = AssetHashes(root)
    return {k: sha_prefix(v) for k, v in cache.entries.items()}


async def hash_unnamed(client: Scenario, desired: Desired, live: Live) -> Live:
    """`live` with a content-hash prefix on every training file of a model a manifest declares,
    read in full, whose name carries none: from the cache, else downloaded once."""
    by_id = {d.model_id: d for d in desired.models if d.model_id}
    by_key = desired.by_key()
    cache = AssetHashes(desired.workspace.root)

    async def one(m: LiveModel) -> LiveModel:
        d = by_id.get(m.id) or (by_key.get(m.recorded.key) if m.recorded.key else None)
        if d is None or not m.complete:
            return m
        unnamed = [i for i in m.images if i.sha_prefix is None]
        if not unnamed:
            return m
        todo = [i for i in unnamed if cache.prefix(i.id) is None]
        if todo:
            await _fill(client, cache, m.id, todo)
        declared = {f.sha_prefix for f in d.training_files}
        return dataclasses.replace(m, images=tuple(_named(i, cache, declared) for i in m.images))

    try:
        models = await asyncio.gather(*(one(m) for m in live.models))
    finally:
        cache.save()  # what was downloaded before an error is not downloaded again
    return dataclasses.replace(live, models=tuple(models))


async def _fill(client: Scenario, cache: AssetHashes, model_id: str, todo: list[LiveImage]) -> None:
    # The originals, as uploaded: a transformed rendition would hash to something else.
    urls = {
        i.id: i.download_url
        for i in (await client.get_model(model_id, original_assets=True)).images
    }

    async def fetch(image: LiveImage) -> None:
        url = urls.get(image.id) or image.download_url
        if url:
            cache.put(image.id, await client.download(url))

    await asyncio.gather(*(fetch(i) for i in todo))


def _named(image: LiveImage, cache: AssetHashes, declared: set[str]) -> LiveImage:
    """The image with its content's prefix when that is a declared file's; an undeclared one
    keeps none, so the plan still says it was not uploaded by trainops (drift)."""
    if image.sha_prefix is not None:
        return image
    prefix = cache.prefix(image.id)
    return dataclasses.replace(image, sha_prefix=prefix) if prefix in declared else image
