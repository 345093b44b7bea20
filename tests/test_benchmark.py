"""The scale benchmark, small: 50 models over real HTTP, no latency. Pins the API requests of
every phase (times are machine-dependent; request counts are the design)."""

from __future__ import annotations

import hashlib
import multiprocessing
import struct
import zlib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from benchmarks.scale import Config, Phase, run, table
from benchmarks.synth import SIDE, change, generate, png
from trainops.manifest.media import read_facts

CFG = Config(models=50, images=3, latency=0.0, parallelism=8, changed=10, repeat=3)


@pytest.fixture(scope="module")
def phases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Phase]:
    """Run in a fresh interpreter: the in-process phases measure their own process's peak
    memory, and this test process carries whatever the tests before it left resident."""
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as fresh:
        done = fresh.submit(run, CFG, tmp_path_factory.mktemp("bench")).result()
    return {p.name: p for p in done}


def test_warm_and_cold_plans_list_models_in_pages_only(phases: dict[str, Phase]) -> None:
    # No per-model read and no dry run when nothing changed, hash cache or not.
    assert phases["cold plan"].by_kind == snapshot({"GET /models": 1})
    assert phases["warm plan"].by_kind == snapshot({"GET /models": 1})
    assert phases["cold plan"].actions == phases["warm plan"].actions == {"none": 50}


def test_warm_phases_are_repeated_and_show_their_median_run(phases: dict[str, Phase]) -> None:
    for name in ("warm plan", "warm plan (CLI process)"):
        phase = phases[name]
        assert len(phase.walls) == 3
        assert phase.wall_s == sorted(phase.walls)[1]
    assert phases["apply 10"].walls == ()  # changes state: run once


def test_the_cli_process_sends_what_the_library_sends(phases: dict[str, Phase]) -> None:
    # Counted by the server this time: the same single page, from a fresh `trainops plan`.
    assert phases["warm plan (CLI process)"].requests == phases["warm plan"].requests == 1


def test_a_plan_after_ten_changes_reads_and_prices_only_those(phases: dict[str, Phase]) -> None:
    phase = phases["plan after 10 changes"]
    assert phase.actions == snapshot({"none": 40, "train": 10})
    assert phase.by_kind == snapshot(
        {"GET /models": 1, "GET /models/{id}": 10, "PUT /models/{id}/train?dryRun": 10}
    )


def test_apply_of_ten_sends_only_what_each_model_needs(phases: dict[str, Phase]) -> None:
    phase = phases["apply 10"]
    assert phase.actions == snapshot({"done": 10, "skipped": 40})
    assert phase.by_kind == snapshot(
        {
            "DELETE /models/{id}/training-images/{id}": 10,
            "GET /models/{id}": 10,
            "POST /models/{id}/training-images": 10,
            "PUT /models/{id}/tags": 20,
            "PUT /models/{id}/train": 10,
        }
    )


def test_a_cold_plan_of_lfs_pointers_hashes_no_content(phases: dict[str, Phase]) -> None:
    """Issue 17: every image a pointer, no cache: the plan reads the pointers (the run checks
    that no file was hashed as content) and finds nothing to do, as the cold plan did."""
    phase = phases["cold plan, LFS pointers"]
    assert phase.actions == {"none": 50}
    assert phase.by_kind == phases["cold plan"].by_kind


def test_the_table_has_one_row_per_phase(phases: dict[str, Phase]) -> None:
    lines = table(list(phases.values())).splitlines()
    assert [cell.strip() for cell in lines[0].strip("|").split("|")] == snapshot(
        [
            "phase",
            "wall s",
            "local s",
            "sandbox CPU s",
            "requests",
            "lower bound s",
            "ratio",
            "API s",
            "ratio with API",
            "peak RSS MiB",
        ]
    )
    assert [line.split(" | ")[0].lstrip("| ") for line in lines[2:]] == snapshot(
        [
            "cold plan",
            "warm plan",
            "warm plan (CLI process)",
            "plan after 10 changes",
            "apply 10",
            "cold plan, LFS pointers",
        ]
    )


def test_the_api_share_of_the_bound_is_the_server_time_of_one_dependent_chain() -> None:
    pages = Phase("warm", 0.3, 0.1, 0.1, 2, 0.2, 100.0, chain=2)  # both requests in the chain
    assert (pages.api_s, round(pages.ratio_with_api, 3)) == (0.1, 1.0)
    apply = Phase("apply", 0.4, 0.0, 0.12, 60, 0.3, 100.0, chain=6)  # 10 chains side by side
    assert round(apply.api_s, 3) == 0.012
    assert Phase("none", 0.1, 0.0, 0.0, 0, 0.0, 100.0).ratio_with_api == float("inf")


def test_synthetic_pngs_are_valid_distinct_and_1024_px(tmp_path: Path) -> None:
    repo = generate(tmp_path / "r", models=3, images=2, parallelism=4)
    files = repo.all_images()
    facts = [read_facts(p) for p in files]
    assert {(f.kind, f.width, f.height) for f in facts} == {("png", SIDE, SIDE)}
    assert len({f.sha256 for f in facts}) == len(files)
    data = png(7)
    length, kind = struct.unpack(">I4s", data[33:41])
    assert kind == b"IDAT"
    raw = zlib.decompress(data[41 : 41 + length])
    assert len(raw) == SIDE * (SIDE // 8 + 1)
    before = hashlib.sha256(repo.image_path(0, 0).read_bytes()).hexdigest()
    assert change(repo, 1) == ["m0000"]
    assert hashlib.sha256(repo.image_path(0, 0).read_bytes()).hexdigest() != before


def test_every_phase_stays_under_300_mib_and_counts_its_server_cpu(
    phases: dict[str, Phase],
) -> None:
    assert all(p.peak_rss_mb < 300 for p in phases.values())
    assert all(p.server_cpu_s >= 0 for p in phases.values())
    assert phases["apply 10"].server_cpu_s > 0
