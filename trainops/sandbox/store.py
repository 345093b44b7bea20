"""SQLite state: one connection per thread, WAL, every write under BEGIN IMMEDIATE.

BEGIN IMMEDIATE takes the write lock before the first read, so a check and the write that
depends on it ("is the model already training?" then "insert job") cannot interleave with
another writer, whether it runs in this process or in another CLI invocation on the same file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from trainops.sandbox.cost import Durations

_SCHEMA = """
CREATE TABLE IF NOT EXISTS models (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, deleted_at REAL,
    type TEXT NOT NULL, name TEXT, short_description TEXT, tags TEXT NOT NULL,
    parameters TEXT, pairs TEXT NOT NULL, extra TEXT NOT NULL, job_id TEXT, epoch TEXT);
CREATE TABLE IF NOT EXISTS assets (
    id TEXT PRIMARY KEY, created_at REAL NOT NULL, updated_at REAL NOT NULL, name TEXT NOT NULL,
    mime TEXT NOT NULL, data BLOB NOT NULL, description TEXT NOT NULL, caption TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS training_images (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, model_id TEXT NOT NULL, asset_id TEXT NOT NULL,
    created_at REAL NOT NULL, UNIQUE (model_id, asset_id));
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, model_id TEXT NOT NULL, model_type TEXT NOT NULL,
    job_type TEXT NOT NULL, created_at REAL NOT NULL, queued_s REAL NOT NULL,
    warming_up_s REAL NOT NULL, in_progress_s REAL NOT NULL, finalizing_s REAL NOT NULL,
    canceled_at REAL, cost INTEGER NOT NULL, parameters TEXT NOT NULL,
    image_count INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_model ON jobs (model_id);
CREATE INDEX IF NOT EXISTS training_images_model ON training_images (model_id);
CREATE INDEX IF NOT EXISTS training_images_asset ON training_images (asset_id);
CREATE INDEX IF NOT EXISTS jobs_end ON jobs (
    created_at + queued_s + warming_up_s + in_progress_s + finalizing_s);
"""

_MODEL_COLS = (
    "id, created_at, updated_at, deleted_at, type, name, short_description, tags, parameters, "
    "pairs, extra, job_id, epoch"
)
_MODEL_COLUMNS = frozenset(_MODEL_COLS.split(", "))
_JOB_COLS = (
    "id, model_id, model_type, job_type, created_at, queued_s, warming_up_s, in_progress_s, "
    "finalizing_s, canceled_at, cost, parameters, image_count"
)
_ASSET_COLS = "id, created_at, updated_at, name, mime, length(data), description, caption"
# a training image: its asset `a` (as _ASSET_COLS) and when `t` attached it
_IMAGE_COLS = (
    "a.id, a.created_at, a.updated_at, a.name, a.mime, length(a.data), a.description, "
    "a.caption, t.created_at"
)


class ModelRow(NamedTuple):
    id: str
    created_at: float
    updated_at: float
    deleted_at: float | None
    type: str
    name: str | None
    short_description: str | None
    tags: list[str]
    parameters: dict[str, Any] | None
    pairs: list[dict[str, Any]]
    extra: dict[str, Any]  # less used fields, stored as sent (classSlug, concepts, thumbnail...)
    job_id: str | None
    epoch: str | None


class ModelKey(NamedTuple):
    """What a listing filters and orders every model by (a page loads its full rows)."""

    id: str
    created_at: float
    updated_at: float
    deleted_at: float | None
    job_id: str | None


class AssetRow(NamedTuple):
    id: str
    created_at: float
    updated_at: float
    name: str
    mime: str
    size: int
    description: str
    caption: str


class ImageRow(NamedTuple):
    asset: AssetRow
    added_at: float


class JobRow(NamedTuple):
    id: str
    model_id: str
    model_type: str
    job_type: str
    created_at: float
    durations: Durations
    canceled_at: float | None
    cost: int
    parameters: dict[str, Any]
    image_count: int


def _loads(text: str) -> Any:
    # Most models have no pairs and no extra fields, and a listing page decodes them all.
    if text == "[]":
        return []
    if text == "{}":
        return {}
    return json.loads(text)


def _model(r: sqlite3.Row) -> ModelRow:
    params = _loads(r[8]) if r[8] is not None else None
    return ModelRow(
        r[0], r[1], r[2], r[3], r[4], r[5], r[6], _loads(r[7]), params,
        _loads(r[9]), _loads(r[10]), r[11], r[12],
    )  # fmt: skip


def _job(r: sqlite3.Row) -> JobRow:
    d = Durations(r[5], r[6], r[7], r[8])
    return JobRow(r[0], r[1], r[2], r[3], r[4], d, r[9], r[10], _loads(r[11]), r[12])


def _asset(r: sqlite3.Row) -> AssetRow:
    return AssetRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])


class Tx:
    """Queries and writes inside one transaction (see `Store.read` / `Store.write`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.c = conn

    # models
    def model(self, model_id: str, *, deleted: bool = False) -> ModelRow | None:
        sql = f"SELECT {_MODEL_COLS} FROM models WHERE id = ?"
        row = self.c.execute(sql + ("" if deleted else " AND deleted_at IS NULL"), (model_id,))
        found = row.fetchone()
        return _model(found) if found else None

    def model_keys(self) -> list[ModelKey]:
        sql = "SELECT id, created_at, updated_at, deleted_at, job_id FROM models"
        return [ModelKey._make(r) for r in self.c.execute(sql)]

    def models(self, ids: list[str]) -> dict[str, ModelRow]:
        marks = ",".join("?" * len(ids))
        sql = f"SELECT {_MODEL_COLS} FROM models WHERE id IN ({marks})"
        return {r[0]: _model(r) for r in self.c.execute(sql, ids)} if ids else {}

    def insert_model(self, m: ModelRow) -> None:
        self.c.execute(
            f"INSERT INTO models ({_MODEL_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                m.id, m.created_at, m.updated_at, m.deleted_at, m.type, m.name,
                m.short_description, json.dumps(m.tags), _opt_json(m.parameters),
                json.dumps(m.pairs), json.dumps(m.extra), m.job_id, m.epoch,
            ),
        )  # fmt: skip

    def update_model(self, model_id: str, now: float, **cols: Any) -> None:
        """Set columns (JSON-encoding lists and dicts) and bump `updated_at`."""
        unknown = set(cols) - _MODEL_COLUMNS
        if unknown:  # the names go into the SQL text: only the table's own columns may
            raise ValueError(f"not columns of models: {', '.join(sorted(unknown))}")
        cols["updated_at"] = now
        values = [json.dumps(v) if isinstance(v, list | dict) else v for v in cols.values()]
        assignments = ", ".join(f"{name} = ?" for name in cols)
        self.c.execute(f"UPDATE models SET {assignments} WHERE id = ?", (*values, model_id))

    def touch_models_with_asset(self, asset_id: str, now: float) -> None:
        self.c.execute(
            "UPDATE models SET updated_at = ? WHERE id IN "
            "(SELECT model_id FROM training_images WHERE asset_id = ?)",
            (now, asset_id),
        )

    # assets and training images
    def asset(self, asset_id: str) -> AssetRow | None:
        sql = f"SELECT {_ASSET_COLS} FROM assets WHERE id = ?"
        found = self.c.execute(sql, (asset_id,)).fetchone()
        return _asset(found) if found else None

    def asset_data(self, asset_id: str) -> tuple[str, bytes] | None:
        found = self.c.execute("SELECT mime, data FROM assets WHERE id = ?", (asset_id,))
        row = found.fetchone()
        return (row[0], bytes(row[1])) if row else None

    def insert_asset(self, a: AssetRow, data: bytes) -> None:
        self.c.execute(
            "INSERT INTO assets (id, created_at, updated_at, name, mime, data, description, "
            "caption) VALUES (?,?,?,?,?,?,?,?)",
            (a.id, a.created_at, a.updated_at, a.name, a.mime, data, a.description, a.caption),
        )

    def set_asset_description(self, asset_id: str, description: str, now: float) -> None:
        sql = "UPDATE assets SET description = ?, updated_at = ? WHERE id = ?"
        self.c.execute(sql, (description, now, asset_id))

    def images(self, model_id: str, limit: int = -1) -> list[ImageRow]:
        rows = self.c.execute(
            f"SELECT {_IMAGE_COLS} FROM training_images t JOIN assets a "
            "ON a.id = t.asset_id WHERE t.model_id = ? ORDER BY t.seq LIMIT ?",
            (model_id, limit),
        )
        return [ImageRow(_asset(r), r[8]) for r in rows]

    def image(self, model_id: str, asset_id: str) -> ImageRow | None:
        row = self.c.execute(
            f"SELECT {_IMAGE_COLS} FROM training_images t JOIN assets a "
            "ON a.id = t.asset_id WHERE t.model_id = ? AND t.asset_id = ?",
            (model_id, asset_id),
        ).fetchone()
        return ImageRow(_asset(row), row[8]) if row else None

    def image_previews(self, model_ids: list[str], limit: int) -> dict[str, list[ImageRow]]:
        """The first `limit` images of each model in one query (a listing page would otherwise
        cost one query per model). Driven by the ids: index seeks, where a window over the
        models' whole datasets would read every image of the page's models."""
        if not model_ids:
            return {}
        rows = self.c.execute(
            f"WITH page(id) AS (VALUES {_values(model_ids)}) "
            f"SELECT {_IMAGE_COLS}, t.model_id FROM page JOIN training_images t ON t.seq IN "
            "(SELECT s.seq FROM training_images s WHERE s.model_id = page.id "
            "ORDER BY s.seq LIMIT ?) JOIN assets a ON a.id = t.asset_id ORDER BY t.seq",
            (*model_ids, limit),
        )
        out: dict[str, list[ImageRow]] = {i: [] for i in model_ids}
        for r in rows:
            out[r[9]].append(ImageRow(_asset(r), r[8]))
        return out

    def image_counts(self, model_ids: list[str]) -> dict[str, int]:
        if not model_ids:
            return {}
        rows = self.c.execute(
            f"WITH page(id) AS (VALUES {_values(model_ids)}) SELECT page.id, "
            "(SELECT count(*) FROM training_images t WHERE t.model_id = page.id) FROM page",
            model_ids,
        )
        return {r[0]: r[1] for r in rows}

    def team_image_count(self) -> int:
        # CROSS JOIN keeps the models outside: one index range per model, where SQLite's own
        # order looked the model of each of the team's images up.
        row = self.c.execute(
            "SELECT count(*) FROM models m CROSS JOIN training_images t ON t.model_id = m.id "
            "WHERE m.deleted_at IS NULL"
        ).fetchone()
        return int(row[0])

    def attach(self, model_id: str, asset_id: str, now: float) -> None:
        sql = "INSERT INTO training_images (model_id, asset_id, created_at) VALUES (?,?,?)"
        self.c.execute(sql, (model_id, asset_id, now))

    def swap_image(self, model_id: str, old: str, new: str, now: float) -> None:
        """Replace keeps the image's place in the dataset."""
        self.c.execute(
            "UPDATE training_images SET asset_id = ?, created_at = ? "
            "WHERE model_id = ? AND asset_id = ?",
            (new, now, model_id, old),
        )

    def delete_assets(self, asset_ids: Iterable[str]) -> None:
        """Gone from every model's training images too: the sandbox keeps no image without its
        asset (what the API does with an attached asset is not documented)."""
        ids = [(a,) for a in asset_ids]
        self.c.executemany("DELETE FROM training_images WHERE asset_id = ?", ids)
        self.c.executemany("DELETE FROM assets WHERE id = ?", ids)

    def detach(self, model_id: str, asset_id: str) -> None:
        sql = "DELETE FROM training_images WHERE model_id = ? AND asset_id = ?"
        self.c.execute(sql, (model_id, asset_id))

    # jobs
    def job(self, job_id: str) -> JobRow | None:
        found = self.c.execute(f"SELECT {_JOB_COLS} FROM jobs WHERE id = ?", (job_id,))
        row = found.fetchone()
        return _job(row) if row else None

    def jobs(self, ids: Iterable[str] | None = None) -> list[JobRow]:
        if ids is None:
            return [_job(r) for r in self.c.execute(f"SELECT {_JOB_COLS} FROM jobs")]
        wanted = list(ids)
        marks = ",".join("?" * len(wanted))
        sql = f"SELECT {_JOB_COLS} FROM jobs WHERE id IN ({marks})"
        return [_job(r) for r in self.c.execute(sql, wanted)] if wanted else []

    def unfinished_jobs(self, now: float) -> list[JobRow]:
        """Jobs that may still run at `now` (not past their last phase, not canceled by then):
        launch checks look at these, not at the team's whole history."""
        sql = (
            f"SELECT {_JOB_COLS} FROM jobs WHERE "
            "created_at + queued_s + warming_up_s + in_progress_s + finalizing_s > ? "
            "AND (canceled_at IS NULL OR canceled_at > ?)"
        )
        return [_job(r) for r in self.c.execute(sql, (now, now))]

    def last_launch(self) -> float | None:
        row = self.c.execute("SELECT MAX(created_at) FROM jobs").fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def insert_job(self, j: JobRow) -> None:
        d = j.durations
        self.c.execute(
            f"INSERT INTO jobs ({_JOB_COLS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                j.id, j.model_id, j.model_type, j.job_type, j.created_at, d.queued,
                d.warming_up, d.in_progress, d.finalizing, j.canceled_at, j.cost,
                json.dumps(j.parameters), j.image_count,
            ),
        )  # fmt: skip

    def cancel_job(self, job_id: str, at: float) -> None:
        self.c.execute("UPDATE jobs SET canceled_at = ? WHERE id = ?", (at, job_id))


def _values(ids: list[str]) -> str:
    """Placeholders for `ids` as the rows of a VALUES table."""
    return ",".join(["(?)"] * len(ids))


def _opt_json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


class Store:
    """Opens the file once per thread and keeps it open: closing the last connection to a WAL
    database checkpoints it, which would cost a full checkpoint per request. A transaction
    never spans an `await`, so requests sharing the event loop thread never interleave in one."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._conn()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def _tx(self, begin: str) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute(begin)
        try:
            yield Tx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def read(self) -> AbstractContextManager[Tx]:
        return self._tx("BEGIN")

    def write(self) -> AbstractContextManager[Tx]:
        return self._tx("BEGIN IMMEDIATE")
