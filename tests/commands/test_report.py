"""`trainops report` against the in-process sandbox: a workspace trained with `samplePrompts`, a
wandbKey sent to the API, a caption that is markup, then the page read as text and rendered in
headless Chromium (every picture loaded, the screenshot not blank)."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.workspace import (
    app_for,
    client_for,
    commit,
    edit,
    make_workspace,
    plan_and_apply,
)
from trainops import pipeline
from trainops.commands.common import Target
from trainops.commands.report import picture, read_trained, run_report, sample_picture, tiles
from trainops.plan import Plan
from trainops.planfile import save_plan
from trainops.read import read_live
from trainops.render.report import Picture
from trainops.sandbox import Fault
from trainops.watch import wait_for_trainings

SECRET = "wandb-secret-0123456789"
PROMPTS = ("alpha on a beach", "alpha in the snow <b>bold</b>")
MARKUP = "<script>alert(1)</script>"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@synchronous
async def _train(root: Path) -> None:
    async with client_for(app_for(root), root) as client:
        outcome = await plan_and_apply(
            root, client, {"WANDB_KEY": SECRET}, queue=True, poll_interval=0.02
        )
        await wait_for_trainings(client, outcome, lambda _: None, interval=0.02)


@pytest.fixture(scope="module")
def trained_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """alpha and beta trained, alpha with 2 epochs of 2 sample prompts and a wandbKey; then a
    change to beta, so the plan has something to say."""
    root = make_workspace(tmp_path_factory.mktemp("report") / "ws")
    edit(
        root / "alpha" / "model.yaml",
        "    maxTrainSteps: 100\n",
        "    maxTrainSteps: 100\n    nbEpochs: 2\n    wandbKey: {env: WANDB_KEY}\n"
        f"    samplePrompts: [{PROMPTS[0]!r}, {PROMPTS[1]!r}]\n",
    )
    (root / "alpha" / "images" / "alpha-2.txt").write_text(MARKUP)
    commit(root, "sample prompts")
    _train(root)
    edit(root / "beta" / "model.yaml", "maxTrainSteps: 200", "maxTrainSteps: 250")
    return root


@pytest.fixture(scope="module")
def report(trained_ws: Path) -> Path:
    out = trained_ws / "report.html"
    target = Target(sandbox=True, cwd=trained_ws, environ={"WANDB_KEY": SECRET})
    assert run_report(target, out=Path("report.html")) == 0
    return out


def _imgs(page: str) -> list[str]:
    return re.findall(r"<img [^>]*>", page)


def test_the_report_embeds_the_dataset_and_every_epoch_sample(report: Path) -> None:
    page = report.read_text()
    # 5 training images per model, and alpha's 2 epochs of 2 samples each.
    assert len(_imgs(page)) == 5 + 5 + 2 * 2
    assert all('src="data:image/jpeg;base64,' in i for i in _imgs(page))
    for prompt in PROMPTS:
        assert page.count(f'<figcaption class="prompt">{html.escape(prompt)}</figcaption>') == 2
    assert "alpha seen from the front" in page
    assert "parameter maxTrainSteps: 200 -&gt; 250" in page  # beta's plan
    assert "estimated cost:" in page


def test_the_report_fetches_nothing_and_shows_no_secret(report: Path) -> None:
    page = report.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "url(" not in page
    assert "<script" not in page
    assert SECRET not in page
    assert "WANDB_KEY" not in page
    assert "(secret, not shown)" in page


def test_the_report_shows_markup_as_text(report: Path) -> None:
    page = report.read_text()
    assert MARKUP not in page
    assert html.escape(MARKUP) in page
    assert "<b>bold</b>" not in page


def test_the_report_stays_light(report: Path) -> None:
    # Flat grey test images compress to nothing: the bound that matters is in
    # tests/render/test_report.py (20 photo-like images); this one catches a full-size embed.
    assert report.stat().st_size < 60_000


def test_trainops_report_writes_the_page_where_asked(
    trained_ws: Path, tmp_path: Path, cli: Cli
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(trained_ws, ws)
    assert cli("report", "--sandbox", "--out", "out/r.html", cwd=ws) == 0
    assert cli.out == ""
    assert re.fullmatch(r"wrote out/r\.html: 2 model\(s\), 14 picture\(s\), \d+ KB\n", cli.err)
    assert len(_imgs((ws / "out" / "r.html").read_text())) == 14
    assert cli("report", "--sandbox", "--out", "out/r.html/x.html", cwd=ws) == 1
    assert cli.err.splitlines() == [
        "error: cannot write the report to out/r.html/x.html: File exists",
        "hint: pass --out with a file in a directory you can write to",
    ]


def test_a_file_the_guard_refuses_or_that_is_gone_is_a_placeholder(
    trained_ws: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(trained_ws, ws)
    desired, _, _ = pipeline.load([], cwd=ws)
    beta = desired.by_key()["beta"]
    # Changed after the load: gone, and a symbolic link out of the workspace.
    (ws / "beta" / "images" / "beta-3.png").unlink()
    (ws / "beta" / "images" / "beta-4.png").unlink()
    (ws / "beta" / "images" / "beta-4.png").symlink_to("/etc/hostname")
    problems = {t.name: t.picture.problem for t in tiles(beta, desired.workspace.root)}
    assert problems == {
        "beta/images/beta-1.png": None,
        "beta/images/beta-2.png": None,
        "beta/images/beta-3.png": "not read: No such file or directory",
        "beta/images/beta-4.png": "not read: it resolves outside the workspace root",
        "beta/images/beta-5.png": None,
    }


@synchronous
async def test_a_failed_download_is_a_placeholder(trained_ws: Path) -> None:
    async with client_for(app_for(trained_ws), trained_ws) as client:
        alpha = next(m for m in await client.list_models() if m.name == "Alpha")
        url = (await client.get_model(alpha.id)).epochs[0].samples[0].url
        assert "/files/samples/" in url  # signed: a bad signature is refused (403)
        url = url.replace("Signature=", "Signature=0")
        picture = await sample_picture(client, url)
    assert picture.src is None
    assert picture.problem is not None
    assert picture.problem.startswith("download failed: ")


@synchronous
async def test_a_trained_model_that_cannot_be_read_is_a_note(trained_ws: Path) -> None:
    app = app_for(trained_ws)
    async with client_for(app, trained_ws) as client:
        desired, _, _ = pipeline.load([], cwd=trained_ws)
        live = await read_live(client, desired)
        app.state.sandbox.faults.replace([Fault("GET", r"/models/[^/]+$", "500")])
        trained = await read_trained(client, desired.models, live)
    why = "Injected sandbox fault: internal error (500)"
    assert {k: (t.epochs, t.problem) for k, t in trained.items()} == {
        k: ((), f"its epochs could not be read: read model {t.model.id}: {why}")
        for k, t in trained.items()
    }
    assert sorted(trained) == ["alpha", "beta"]


def test_bytes_that_are_no_image_are_a_placeholder() -> None:
    assert picture(b"<svg/>", 64) == Picture(None, problem="not an image Pillow can read")


# --- in a real browser ---------------------------------------------------------------------


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    flags = (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    )
    return subprocess.run(
        [CHROMIUM, *flags, *args], capture_output=True, text=True, timeout=120, check=True
    )


def _artifacts(tmp_path: Path) -> Path:
    where = Path(os.environ.get("TRAINOPS_TEST_ARTIFACTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


# What the browser saw: each picture's natural width, written into the DOM Chromium dumps.
PROBE = """<script>
window.addEventListener("load", () => {
  for (const img of document.images) img.dataset.loaded = String(img.naturalWidth);
  document.body.dataset.checked = String(document.images.length);
});
</script>"""


def test_every_picture_loads_in_chromium(report: Path, tmp_path: Path) -> None:
    probed = tmp_path / "probed.html"
    probed.write_text(report.read_text().replace("</body>", PROBE + "</body>"))
    dom = _chromium(
        tmp_path / "profile", "--dump-dom", "--virtual-time-budget=5000", probed.as_uri()
    ).stdout
    assert re.search(r'<body data-checked="(\d+)"', dom), dom[:2000]
    widths = re.findall(r'data-loaded="(\d+)"', dom)
    assert len(widths) == len(_imgs(report.read_text())) == 14
    assert all(int(w) > 0 for w in widths), widths


def test_the_report_renders_in_chromium(report: Path, tmp_path: Path) -> None:
    shot = _artifacts(tmp_path) / "report.png"
    shot.unlink(missing_ok=True)
    _chromium(
        tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,2000", report.as_uri()
    )
    print(f"screenshot: {shot}", file=sys.stderr)
    with Image.open(shot) as img:
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None
    assert len(colours) > 1


def test_a_saved_plan_is_shown_as_planned_and_one_of_another_commit_refused(
    trained_ws: Path, tmp_path: Path, cli: Cli
) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(trained_ws, ws)
    cli.env["WANDB_KEY"] = SECRET
    assert cli("plan", "--sandbox", "--out", "plan.json", cwd=ws) == 0
    # beta's edit is undone: planning now would find nothing to do; the saved plan still says
    # what was reviewed, and the report shows it without planning (nor pricing) again.
    edit(ws / "beta" / "model.yaml", "maxTrainSteps: 250", "maxTrainSteps: 200")
    assert cli("report", "--sandbox", "--plan", "plan.json", "--out", "r.html", cwd=ws) == 0
    page = html.unescape((ws / "r.html").read_text())
    assert "parameter maxTrainSteps: 200 -> 250" in page
    assert "price probe" not in cli.err
    save_plan(Plan(workspace="other", models=()), ws / "other.json")
    assert cli("report", "--sandbox", "--plan", "other.json", cwd=ws) == 1
    assert cli.err.startswith("error: the saved plan is of workspace 'other', not 'e2e'\n")
    commit(ws, "beta back to 200")
    assert cli("report", "--sandbox", "--plan", "plan.json", cwd=ws) == 1
    assert re.fullmatch(
        r"error: the saved plan was made at commit \w{12}, the checkout is at \w{12}\n"
        r"hint: plan again \(`trainops plan --out FILE`\), or leave out --plan to plan now\n",
        cli.err,
    )
