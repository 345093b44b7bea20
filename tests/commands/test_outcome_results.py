# ruff: noqa: E501  (snapshots hold whole comment lines)
"""After merge, results (issue 16, part 2): `apply --wait --comment-outcome` on a sandbox
training with `samplePrompts` posts each epoch's sample images under their prompts, the billed
credits, the duration and the model's link; signed sample URLs are said to expire."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.fake_github import FakeGithub
from tests.support.github_env import on_merge
from tests.support.sandbox import Serve, api_env
from tests.support.workspace import app_for, commit, edit, make_workspace
from trainops.sandbox import Deviations, create_app
from trainops.sandbox.client import SANDBOX_DB

SAMPLED = """\
    maxTrainSteps: 100
    nbEpochs: 2
    samplePrompts:
      - alpha in a forest
      - "alpha | at <night>"
"""


REPORT = ("--report-artifact", "trainops-report")  # as the Action passes it


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = make_workspace(tmp_path / "ws", ("alpha",))
    edit(root / "alpha" / "model.yaml", "    maxTrainSteps: 100\n", SAMPLED)
    commit(root, "sample prompts")
    return root


def served(root: Path, serve: Serve, *deviations: str) -> dict[str, str]:
    if deviations:
        app = create_app(root / SANDBOX_DB, speed=1000.0, deviations=Deviations.of(deviations))
    else:
        app = app_for(root, speed=1000.0)
    return api_env(serve(app))


def urls(text: str) -> str:
    """The sandbox's address, the sample URLs' expiry and the epochs' hashes (of the job id)
    differ from run to run."""
    text = re.sub(r"http://127\.0\.0\.1:\d+/v1", "SANDBOX", text)
    text = re.sub(r"Expires=\d+", "Expires=TIME", text)
    text = re.sub(r"Signature=[0-9a-f]+", "Signature=SIG", text)
    text = re.sub(r"\| (\d) <code>[0-9a-f]{8}</code>", r"| \1 <code>EPOCH</code>", text)
    return re.sub(r"\| \d+ (s|min) \|", "| DURATION |", text)


def test_the_outcome_comment_shows_each_epochs_samples_under_their_prompts(
    root: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli, serve: Serve
) -> None:
    cli.cwd = root
    cli.env.update(served(root, serve))
    on_merge(cli, tmp_path, fake_github)
    cli.env["GITHUB_RUN_ID"] = "42"
    apply = ("apply", "--yes", "--wait", "--poll-interval", "0.05", "--comment-outcome", *REPORT)
    assert cli(*apply) == 0, cli.err
    # The terminal says where the samples are too.
    assert re.search(
        r"alpha: create done — trained \(job job_\w+, 15 CU\); 2 epochs with "
        r"samples: `trainops status alpha`",
        cli.out,
    ), cli.out
    [comment] = fake_github.comments[7]
    assert urls(scrub(comment["body"])) == snapshot("""\
<!-- trainops:outcome -->
### trainops apply

✅ **Applied: 1 done, 0 skipped**

| Model | Action | Result | Detail | Job | Cost (CU) | Duration |
|---|---|---|---|---|---|---|
| <a href="https://app.scenario.com/models/model_ID">alpha</a> | create | ✅ done | trained | <code>job&#95;ID</code> | 15 | DURATION |

#### Samples of alpha

| Epoch | alpha in a forest | alpha &#124; at &#60;night&#62; |
|---|---|---|
| 1 <code>EPOCH</code> | <a href="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH"><img src="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH" width="128" alt="alpha epoch 1: alpha in a forest"></a> | <a href="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH"><img src="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH" width="128" alt="alpha epoch 1: alpha &#124; at &#60;night&#62;"></a> |
| 2 <code>EPOCH</code> | <a href="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH"><img src="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH" width="128" alt="alpha epoch 2: alpha in a forest"></a> | <a href="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH"><img src="SANDBOX/files/samples/asset_ID.png?Expires=TIME&amp;Signature=HASH" width="128" alt="alpha epoch 2: alpha &#124; at &#60;night&#62;"></a> |

⏳ These sample links are signed and expire in about 7 days; the <b>trainops-report</b> artifact of this run keeps a copy.

🖼️ Every dataset as thumbnails, with captions, parameters and the epochs' samples of trained models: the <b>trainops-report</b> artifact of <a href="https://github.com/acme/models/actions/runs/42">this run</a> (one HTML page).

<sub>Apply: 1 done, 0 failed, 0 skipped. Cost: 15 CU.</sub>
""")


def test_unsigned_samples_need_no_expiry_note_and_the_model_link_follows_the_settings(
    root: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli, serve: Serve
) -> None:
    settings = root / "trainops.yaml"
    settings.write_text(
        settings.read_text() + "links:\n  model: https://scenario.example/m/{modelId}/view\n"
    )
    commit(root, "links")
    cli.cwd = root
    cli.env.update(served(root, serve, "unsigned-samples"))
    on_merge(cli, tmp_path, fake_github)
    apply = ("apply", "--yes", "--wait", "--poll-interval", "0.05", "--comment-outcome")
    assert cli(*apply) == 0, cli.err
    body = urls(scrub(fake_github.comments[7][0]["body"]))
    assert '<a href="https://scenario.example/m/model_ID/view">alpha</a>' in body
    assert body.count('<img src="SANDBOX/files/samples/asset_ID.png" width="128"') == 4
    assert "expire" not in body


def test_apply_json_carries_the_results_of_a_finished_training(
    root: Path, cli: Cli, serve: Serve
) -> None:
    cli.cwd = root
    cli.env.update(served(root, serve))
    apply = ("apply", "--yes", "--wait", "--poll-interval", "0.05", "--format", "json")
    assert cli(*apply) == 0, cli.err
    [alpha] = json.loads(cli.out)["outcome"]["models"]
    assert alpha["model_id"].startswith("model_")
    assert alpha["cost"] == 15
    assert alpha["duration_s"] > 0
    assert [[s["prompt"] for s in e["samples"]] for e in alpha["epochs"]] == [
        ["alpha in a forest", "alpha | at <night>"],
        ["alpha in a forest", "alpha | at <night>"],
    ]
    assert len({s["url"] for e in alpha["epochs"] for s in e["samples"]}) == 4


def test_a_bad_model_link_setting_names_what_to_write(root: Path, cli: Cli) -> None:
    settings = root / "trainops.yaml"
    settings.write_text(settings.read_text() + "links:\n  model: http://app/{id}\n")
    cli.cwd = root
    assert cli("validate") == 1
    assert "links.model" in cli.err
    assert "must be an https:// URL" in cli.err
