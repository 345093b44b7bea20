# ruff: noqa: E501  (snapshots hold whole comment lines)
"""The pull-request flow end to end: `trainops plan --comment` on a pull request, then `trainops
apply --verify-reviewed --comment-outcome` on the merge commit, through the CLI, against the
embedded sandbox and a fake_github GitHub API over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import git
import pytest
from inline_snapshot import snapshot

from tests.support.cli import Cli, scrub
from tests.support.fake_github import FakeGithub
from tests.support.github_env import TOKEN, environ, on_merge, on_pull_request, pr_event
from tests.support.workspace import commit, edit, jobs, png


@pytest.fixture
def cli(cli: Cli, ws: Path) -> Cli:
    cli.cwd = ws
    return cli


def test_one_plan_comment_per_pull_request_then_apply_on_merge_comments_the_outcome(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment", "--detailed-exitcode") == 2
    assert cli("plan", "--sandbox", "--comment", "--format", "markdown") == 0
    [plan] = fake_github.comments[7]  # updated in place, never a second one
    assert scrub(plan["body"]) == snapshot("""\
<!-- trainops:plan path=. -->
<!-- trainops:meta {"fingerprint": "HASH", "form": "full", "review": {"max_cost": null, "models": {"alpha": ["create", "HASH", 15.0], "beta": ["create", "HASH", 20.0]}}, "sha": "HASH", "version": 2} -->

### trainops plan for <code>e2e</code>

🏋️ **2 trainings, estimated 35 CU**

| Model | Action | Cost (CU) | Why |
|---|---|---|---|
| alpha | ➕ create | 15 | no live model: create it, upload 5 training files and train |
| beta | ➕ create | 20 | no live model: create it, upload 5 training files and train |

<details><summary><b>alpha</b> · create · estimated cost: 15 CU &#40;estimated with a dry run on the workspace&#39;s empty price probe model&#95;ID&#41;</summary>

flux.1-lora · alpha/model.yaml:1

**Why**
- no live model: create it, upload 5 training files and train

**Changes**
- `+` parameter conceptPrompt = &#34;alpha&#34;
- `+` parameter maxTrainSteps = 100
- `+` image alpha-1.png<br><a href="https://github.com/acme/models/blob/HASH/alpha/images/alpha-1.png"><img src="https://github.com/acme/models/blob/HASH/alpha/images/alpha-1.png?raw=true" width="96" alt="alpha-1.png &#40;new&#41;"></a>
- `+` image alpha-2.png<br><a href="https://github.com/acme/models/blob/HASH/alpha/images/alpha-2.png"><img src="https://github.com/acme/models/blob/HASH/alpha/images/alpha-2.png?raw=true" width="96" alt="alpha-2.png &#40;new&#41;"></a>
- `+` image alpha-3.png<br><a href="https://github.com/acme/models/blob/HASH/alpha/images/alpha-3.png"><img src="https://github.com/acme/models/blob/HASH/alpha/images/alpha-3.png?raw=true" width="96" alt="alpha-3.png &#40;new&#41;"></a>
- `+` image alpha-4.png<br><a href="https://github.com/acme/models/blob/HASH/alpha/images/alpha-4.png"><img src="https://github.com/acme/models/blob/HASH/alpha/images/alpha-4.png?raw=true" width="96" alt="alpha-4.png &#40;new&#41;"></a>
- `+` image alpha-5.png<br><a href="https://github.com/acme/models/blob/HASH/alpha/images/alpha-5.png"><img src="https://github.com/acme/models/blob/HASH/alpha/images/alpha-5.png?raw=true" width="96" alt="alpha-5.png &#40;new&#41;"></a>
- `+` name = &#34;Alpha&#34;
- `+` tag trainops:e2e/alpha

</details>

<details><summary><b>beta</b> · create · estimated cost: 20 CU &#40;estimated with a dry run on the workspace&#39;s empty price probe model&#95;ID&#41;</summary>

flux.1-lora · beta/model.yaml:1

**Why**
- no live model: create it, upload 5 training files and train

**Changes**
- `+` parameter conceptPrompt = &#34;beta&#34;
- `+` parameter maxTrainSteps = 200
- `+` image beta-1.png<br><a href="https://github.com/acme/models/blob/HASH/beta/images/beta-1.png"><img src="https://github.com/acme/models/blob/HASH/beta/images/beta-1.png?raw=true" width="96" alt="beta-1.png &#40;new&#41;"></a>
- `+` image beta-2.png<br><a href="https://github.com/acme/models/blob/HASH/beta/images/beta-2.png"><img src="https://github.com/acme/models/blob/HASH/beta/images/beta-2.png?raw=true" width="96" alt="beta-2.png &#40;new&#41;"></a>
- `+` image beta-3.png<br><a href="https://github.com/acme/models/blob/HASH/beta/images/beta-3.png"><img src="https://github.com/acme/models/blob/HASH/beta/images/beta-3.png?raw=true" width="96" alt="beta-3.png &#40;new&#41;"></a>
- `+` image beta-4.png<br><a href="https://github.com/acme/models/blob/HASH/beta/images/beta-4.png"><img src="https://github.com/acme/models/blob/HASH/beta/images/beta-4.png?raw=true" width="96" alt="beta-4.png &#40;new&#41;"></a>
- `+` image beta-5.png<br><a href="https://github.com/acme/models/blob/HASH/beta/images/beta-5.png"><img src="https://github.com/acme/models/blob/HASH/beta/images/beta-5.png?raw=true" width="96" alt="beta-5.png &#40;new&#41;"></a>
- `+` name = &#34;Beta&#34;
- `+` tag trainops:e2e/beta

</details>

<sub>Plan: 2 to create, 0 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 35 CU. · commit <code>HASH</code> · plan fingerprint <code>HASH</code></sub>
""")
    # The job summary has the same plan, once per run, without the comment's hidden header.
    summary = (tmp_path / "summary.md").read_text()
    assert summary == 2 * (plan["body"].split("\n\n", 1)[1] + "\n")

    on_merge(cli, tmp_path, fake_github)
    assert cli("apply", "--sandbox", "--yes", "--comment-outcome", "--verify-reviewed", "fail") == 0
    assert fake_github.comments[7][0] is plan  # the plan comment stays; the outcome follows it
    assert scrub(fake_github.comments[7][1]["body"]) == snapshot("""\
<!-- trainops:outcome -->
### trainops apply

✅ **Applied: 2 done, 0 skipped**

| Model | Action | Result | Detail | Job | Cost (CU) |
|---|---|---|---|---|---|
| <a href="https://app.scenario.com/models/model_ID">alpha</a> | create | ✅ done | training started | <code>job&#95;ID</code> | 15 |
| <a href="https://app.scenario.com/models/model_ID">beta</a> | create | ✅ done | training started | <code>job&#95;ID</code> | 20 |

<sub>Apply: 2 done, 0 failed, 0 skipped. Cost: 35 CU.</sub>
""")
    assert jobs(ws) == {"Alpha": 1, "Beta": 1}
    assert TOKEN not in (tmp_path / "summary.md").read_text()


def test_apply_on_merge_refuses_a_plan_that_is_not_the_reviewed_one(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    on_pull_request(cli, tmp_path, fake_github)
    assert cli("plan", "--sandbox", "--comment") == 0
    edit(ws / "alpha" / "model.yaml", "maxTrainSteps: 100", "maxTrainSteps: 300")
    on_merge(cli, tmp_path, fake_github)
    assert cli("apply", "--sandbox", "--yes", "--comment-outcome", "--verify-reviewed", "fail") == 1
    assert scrub(cli.err) == snapshot("""\
refusal commented: https://github.example/pr/7#issuecomment-1002
error: the plan at merge does more than the plan reviewed in the pull request (1 difference(s)):
  alpha: its declared inputs changed since the review; the merge would create it and train it with inputs nobody reviewed
hint: re-plan the merged commit for approval: run the workflow's `workflow_dispatch` (Actions > trainops > Run workflow, pull-request 7); it posts the plan on pull request #7, and approving its `trainops-apply` environment applies exactly that plan; or open a new pull request to re-plan, or pass `--verify-reviewed warn` (action input `on-mismatch: warn`) to apply anyway
""")
    assert jobs(ws) == {}  # nothing was created or trained
    assert scrub(fake_github.comments[7][1]["body"]) == snapshot("""\
<!-- trainops:outcome -->
### trainops apply

❌ **Nothing was applied: the plan at merge does more than the plan reviewed in the pull request &#40;1 difference&#40;s&#41;&#41;**

- alpha: its declared inputs changed since the review; the merge would create it and train it with inputs nobody reviewed

**Way forward:** re-plan the merged commit for approval: run the workflow&#39;s &#96;workflow&#95;dispatch&#96; &#40;Actions &#62; trainops &#62; Run workflow, pull-request 7&#41;; it posts the plan on pull request #&#8203;7, and approving its &#96;trainops-apply&#96; environment applies exactly that plan; or open a new pull request to re-plan, or pass &#96;--verify-reviewed warn&#96; &#40;action input &#96;on-mismatch: warn&#96;&#41; to apply anyway
""")


def test_plan_comment_on_a_fork_says_why_and_posts_nothing(
    tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    cli.env.update(environ(tmp_path, fake_github, pr_event(7, head_repo="someone/fork")))
    assert cli("plan", "--sandbox", "--comment") == 0
    assert scrub(cli.err) == snapshot(
        "note: created price probe model_ID (flux.1-lora): an empty model, never trained, that plans dry-run new models on; `trainops status` lists it, `trainops probes clean` removes it\n"
        "trainops: this pull request comes from a fork. GitHub gives workflows triggered by forks no secrets, so the plan cannot be computed against the Scenario API here. Nothing failed: a maintainer can review the manifests and push the branch to this repository to get a priced plan.\n"
    )
    assert fake_github.writes() == []


def test_the_plan_comment_links_thumbnails_at_the_head_and_base_commits(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    assert cli("apply", "--sandbox", "--yes") == 0
    base = git.Repo(ws).head.commit.hexsha
    images = ws / "alpha" / "images"
    (images / "alpha-2.png").write_bytes(png(200))  # replaced
    (images / "alpha-3.png").unlink()  # removed
    (images / "alpha-9.png").write_bytes(png(201))  # added
    head = commit(ws, "new pictures")
    event = pr_event(7)
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["base"]["sha"] = base
    cli.env.update(environ(tmp_path, fake_github, event))
    cli.env["GITHUB_SERVER_URL"] = "https://ghe.example"
    assert cli("plan", "--sandbox", "--comment") == 0
    [comment] = fake_github.comments[7]
    blob = "https://ghe.example/acme/models/blob"
    found = re.findall(r'<a href="([^"]+)"><img src="([^"]+)" width="96"', comment["body"])
    assert [(link, img == link + "?raw=true") for link, img in found] == [
        (f"{blob}/{head}/alpha/images/alpha-9.png", True),
        (f"{blob}/{base}/alpha/images/alpha-2.png", True),
        (f"{blob}/{head}/alpha/images/alpha-2.png", True),
        (f"{blob}/{base}/alpha/images/alpha-3.png", True),
    ]
    assert "`~` image alpha-2.png replaced &#40;new bytes, same name&#41;" in comment["body"]


def test_the_plan_comment_links_the_run_holding_the_review_report(
    ws: Path, tmp_path: Path, fake_github: FakeGithub, cli: Cli
) -> None:
    cli.env.update(environ(tmp_path, fake_github, pr_event(7)))
    assert cli("plan", "--sandbox", "--comment", "--report-artifact", "trainops-report") == 0
    [comment] = fake_github.comments[7]
    assert (
        "🖼️ Every dataset as thumbnails, with captions, parameters and the epochs' samples of "
        "trained models: the <b>trainops-report</b> artifact of "
        '<a href="https://github.com/acme/models/actions/runs/42">this run</a> (one HTML page).'
    ) in comment["body"]
    # Without the flag (no report made in this run), no link to a report that does not exist.
    assert cli("plan", "--sandbox", "--comment") == 0
    [comment] = fake_github.comments[7]
    assert "trainops-report" not in comment["body"]
