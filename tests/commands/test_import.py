"""`trainops import` against the in-process sandbox: a model made by hand (not by trainops) is
adopted into a manifest that validates, and the next plan matches it by id."""

from __future__ import annotations

import io
import re
import textwrap
import wave
from pathlib import Path

import pytest
from inline_snapshot import snapshot
from starlette.applications import Starlette

from tests.support.aio import synchronous
from tests.support.cli import Cli
from tests.support.workspace import RETRY_ONCE, png
from trainops import pipeline
from trainops.commands.import_ import ImportRequest, import_model
from trainops.commands.status import read_status
from trainops.errors import ApiError, ConfigError
from trainops.live import LiveImage
from trainops.manifest.emit import file_name, scalar, unique_names
from trainops.manifest.load import load_desired
from trainops.render.status import render_status_text
from trainops.render.text import render_text
from trainops.sandbox.client import SANDBOX_DB, sandbox_client
from trainops.scenario.client import Scenario
from trainops.tags import image_name

WANDB = "wandb-secret-0123456789"


def _client(app: Starlette) -> Scenario:
    return sandbox_client(Path("unused.db"), app=app, retry=RETRY_ONCE)


async def _hand_made_model(client: Scenario) -> str:
    """A flux model made in the web app: plain names, one made by trainops elsewhere (hashed
    name), captions on some, a W&B key, a user tag and another workspace's trainops tags."""
    model = await client.create_model(
        type="flux.1-lora", name="Hero: The Caped One", short_description="Our hero.\nCaped."
    )
    model_id = model.id
    names = ["hero front.png", image_name("ab" * 32, "hero-side.png"), "Hero Front.png", "notes"]
    captions = ["hero, front view", None, "", "hero: seen\nfrom above"]
    for n, (name, caption) in enumerate(zip(names, captions, strict=True)):
        await client.add_training_image(
            model_id, name=name, data=png(n), mime="image/png", description=caption
        )
    await client.update_model(
        model_id,
        parameters={
            "conceptPrompt": "hero",
            "learningRate": 0.00005,
            "maxTrainSteps": 400,
            "samplePrompts": ["hero running", "hero: flying"],
            "wandbKey": WANDB,
        },
    )
    await client.update_tags(model_id, add=["characters", "trainops:elsewhere/hero", "mine"])
    return model_id


def _masked(text: str, model_id: str) -> str:
    text = text.replace(model_id, "<model-id>")
    return re.sub(r"plan [0-9a-f]{12}", "plan <fingerprint>", text)


@synchronous
async def test_import_writes_a_manifest_that_validates_and_plans_as_adopted(
    root: Path, sandbox: Starlette
) -> None:
    async with _client(sandbox) as client:
        model_id = await _hand_made_model(client)
        done = await import_model(client, ImportRequest(model_id), cwd=root)
        assert done.manifest == root / "hero" / "model.yaml"
        desired, _, _ = pipeline.load([], cwd=root)
        plan = (await pipeline.make_plan(desired, client)).plan
        (entry,) = plan.models
        assert entry.model_id == model_id
        plan_text = _masked(render_text(plan, color=False), model_id)
        status = render_status_text(await read_status(client, desired))
        plan_text += "\n" + _masked(status, model_id)
    text = done.manifest.read_text().replace(model_id, "<model-id>")
    assert text == snapshot("""\
# Imported from Scenario model <model-id> by `trainops import`.
# spec.modelId adopts it: plan and apply update this model instead of creating one.
apiVersion: trainops/v1
kind: Model
metadata:
  name: hero
spec:
  modelId: <model-id>
  type: flux.1-lora
  name: 'Hero: The Caped One'
  shortDescription: "Our hero.\\nCaped."
  tags: [characters, mine]
  trainingImages:
    - images/*  # captions come from images/<stem>.txt
  parameters:
    conceptPrompt: hero
    learningRate: 0.00005
    maxTrainSteps: 400
    samplePrompts: [hero running, 'hero: flying']
    # The model stores a wandbKey; secrets are never written, only referenced.
    # Uncomment and export WANDB_KEY where apply runs:
    # wandbKey: {env: WANDB_KEY}
""")
    assert WANDB not in text
    folder = root / "hero" / "images"
    assert sorted(p.name for p in folder.iterdir()) == snapshot(
        [
            "Hero Front-2.png",
            "hero front.png",
            "hero front.txt",
            "hero-side.png",
            "notes.png",
            "notes.txt",
        ]
    )
    assert (folder / "hero front.txt").read_text() == snapshot("hero, front view\n")
    assert (folder / "notes.txt").read_text() == snapshot("""\
hero: seen
from above
""")
    desired, _ = load_desired([root / "hero"], cwd=root)
    assert [m.model_id for m in desired.models] == [model_id]
    # Matched by id, plain-named files by content (`trainops.contents`); the model was never
    # trained, and one file's name claims a hash its content does not have. Status agrees.
    assert plan_text == snapshot("""\
Workspace shop · plan <fingerprint>

Symbols: + create  ~ train / update  … wait  - orphan

  ~ hero (<model-id>) will be retrained  [hero/model.yaml:3]
      # never trained
      ~ image hero-side.png replaced (new bytes, same name)  (forces training)
      - parameter wandbKey: (sensitive value removed)
      + tag trainops:shop/hero
      = estimated cost: 30 CU

Plan: 0 to create, 1 to train, 0 to update, 0 waiting, 0 orphaned. Estimated cost: 30 CU.

Workspace shop

MODEL  ID                              STATUS  LATEST JOB  MANIFEST      COMMIT
hero   <model-id>  new     -           not recorded  -

1 model: 1 new.
""")


@synchronous
async def test_import_refuses_to_overwrite_without_force(root: Path, sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model_id = await _hand_made_model(client)
        request = ImportRequest(model_id, key="hero")
        await import_model(client, request, cwd=root)
        (root / "hero" / "model.yaml").write_text("# edited by hand\n")
        with pytest.raises(ConfigError) as exc:
            await import_model(client, request, cwd=root)
        assert [*exc.value.message.split(", "), exc.value.hint] == snapshot(
            [
                "refusing to overwrite hero/model.yaml",
                "hero/images/Hero Front-2.png",
                "hero/images/hero front.png",
                "hero/images/hero front.txt",
                "hero/images/hero-side.png and 2 more",
                "pass --force to overwrite, or --dir/--out to write elsewhere",
            ]
        )
        assert (root / "hero" / "model.yaml").read_text() == "# edited by hand\n"
        await import_model(client, ImportRequest(model_id, key="hero", force=True), cwd=root)
        assert "modelId" in (root / "hero" / "model.yaml").read_text()
        (root / "hero" / "images" / "stray.png").write_bytes(png(99))
        with pytest.raises(ConfigError) as exc:
            await import_model(client, ImportRequest(model_id, key="hero", force=True), cwd=root)
        assert [*exc.value.message.split(": "), exc.value.hint] == snapshot(
            [
                "hero/images already holds other files (stray.png)",
                "they would become training data",
                "import into an empty folder: pass --dir NEW_FOLDER",
            ]
        )


@synchronous
async def test_import_an_unknown_model_names_the_id(root: Path, sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        with pytest.raises(ApiError) as exc:
            await import_model(client, ImportRequest("model_nope"), cwd=root)
    assert str(exc.value) == snapshot("no model model_nope in this team")


@synchronous
async def _hand_made_in_the_state_file(root: Path) -> str:
    """A hand-made model in the workspace's `--sandbox` state file; its id."""
    async with sandbox_client(root / SANDBOX_DB, retry=RETRY_ONCE) as client:
        return await _hand_made_model(client)


def test_cli_import_against_the_sandbox_state_file(root: Path, cli: Cli) -> None:
    model_id = _hand_made_in_the_state_file(root)
    cli.cwd = root
    out = root / "adopted" / "hero.yaml"
    assert cli("import", model_id, "--sandbox", "--out", str(out)) == 0
    # Wrapped only to keep lines short: the whole of stderr is compared.
    err = cli.err.replace(model_id, "<model-id>")
    assert [textwrap.wrap(line, 72) for line in err.splitlines()] == snapshot(
        [
            [
                "warning: adopted/hero.yaml:13: spec.trainingImages: only 4 training",
                "images: too few to generalise; 5-15 images is the sweet spot (styles up",
                "to about 20)",
            ],
            [
                "note: model <model-id> is managed by workspace 'elsewhere' as 'hero'",
                "(tag trainops:elsewhere/hero); remove that tag or that manifest, or both",
                "workspaces will train it",
            ],
            ["next: review it, commit it, and run `trainops plan adopted/hero.yaml`"],
        ]
    )
    assert cli.out == snapshot(
        "wrote adopted/hero.yaml (hero) and 4 training file(s), 2 caption(s)\n"
    )
    assert WANDB not in cli.out + cli.err
    assert (root / "adopted" / "images").is_dir()
    assert cli("validate", str(out)) == 0


def _image(name: str) -> LiveImage:
    return LiveImage(
        id="asset_1",
        name=name,
        sha_prefix=None,
        description="",
        automatic_captioning="",
        download_url="",
    )


def test_file_names_are_safe_and_carry_the_content_extension() -> None:
    cases = [
        ("../../etc/passwd", "png"),
        ("photo.JPG", "jpeg"),
        ("photo.jpg", "png"),
        ("v1.2 final", "webp"),
        ("", "png"),
        (".hidden", None),
        ("caption.txt", "png"),
        ("take:1.wav", "wav"),
    ]
    assert [file_name(_image(n), kind) for n, kind in cases] == snapshot(
        [
            "passwd.png",
            "photo.JPG",
            "photo.png",
            "v1.2 final.webp",
            "asset_1.png",
            "hidden",
            "caption.png",
            "take-1.wav",
        ]
    )
    assert unique_names(["a.png", "A.jpg", "a.png", "b.png"]) == snapshot(
        ["a.png", "A-2.jpg", "a-3.png", "b.png"]
    )


def test_scalars_stay_on_one_line_and_round_trip() -> None:
    import yaml

    values: list[object] = [
        "plain",
        "a: b",
        "123",
        "yes",
        "two\nlines",
        0.00005,
        1e20,
        3,
        True,
        ["x", "y: z"],
        "",
    ]
    texts = [scalar(v) for v in values]
    assert texts == snapshot(
        [
            "plain",
            "'a: b'",
            "'123'",
            "'yes'",
            '"two\\nlines"',
            "0.00005",
            "100000000000000000000.0",
            "3",
            "true",
            "[x, 'y: z']",
            "''",
        ]
    )
    assert [yaml.safe_load(t) for t in texts] == values


def _wav(seconds: float, tone: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(bytes([tone % 256]) * int(8000 * seconds))
    return buffer.getvalue()


@synchronous
async def test_import_a_voice_model_writes_its_samples(root: Path, sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model = await client.create_model(type="elevenlabs-voice", name="Narrator")
        model_id = model.id
        assets = [
            await client.upload_asset(name=f"take {n}", data=_wav(6, n), mime="audio/wav")
            for n in range(3)
        ]
        await client.add_training_images(model_id, assets)
        await client.update_model(model_id, parameters={"cloneType": "instant", "language": "en"})
        await import_model(client, ImportRequest(model_id, directory=Path("voices")), cwd=root)
    text = (root / "voices" / "model.yaml").read_text().replace(model_id, "<model-id>")
    assert text == snapshot("""\
# Imported from Scenario model <model-id> by `trainops import`.
# spec.modelId adopts it: plan and apply update this model instead of creating one.
apiVersion: trainops/v1
kind: Model
metadata:
  name: narrator
spec:
  modelId: <model-id>
  type: elevenlabs-voice
  name: Narrator
  trainingSamples:
    - samples/*
  parameters:
    cloneType: instant
    language: en
""")
    assert sorted(p.name for p in (root / "voices" / "samples").iterdir()) == snapshot(
        ["take 0.wav", "take 1.wav", "take 2.wav"]
    )


@synchronous
async def test_import_an_edit_model_writes_its_pairs(root: Path, sandbox: Starlette) -> None:
    async with _client(sandbox) as client:
        model = await client.create_model(type="qwen-image-edit-lora", name="Day to Night")
        model_id = model.id
        ids = []
        for n, name in enumerate(["a-day", "a-night", "b-day", "b-night", "unused"]):
            image = await client.add_training_image(
                model_id, name=f"{name}.png", data=png(n), mime="image/png"
            )
            ids.append(image.id)
        await client.replace_pairs(
            model_id,
            [
                {"sourceId": ids[0], "targetId": ids[1], "instruction": "make it night"},
                {"sourceId": ids[2], "targetId": ids[3], "instruction": "night: dark"},
            ],
        )
        await import_model(client, ImportRequest(model_id), cwd=root)
    text = (root / "day-to-night" / "model.yaml").read_text().replace(model_id, "<model-id>")
    assert text == snapshot("""\
# Imported from Scenario model <model-id> by `trainops import`.
# spec.modelId adopts it: plan and apply update this model instead of creating one.
apiVersion: trainops/v1
kind: Model
metadata:
  name: day-to-night
spec:
  modelId: <model-id>
  type: qwen-image-edit-lora
  name: Day to Night
  trainingImagePairs:
    - {source: pairs/a-day.png, target: pairs/a-night.png, instruction: make it night}
    - {source: pairs/b-day.png, target: pairs/b-night.png, instruction: 'night: dark'}
""")
    assert sorted(p.name for p in (root / "day-to-night" / "pairs").iterdir()) == snapshot(
        ["a-day.png", "a-night.png", "b-day.png", "b-night.png"]
    )
    desired, _ = load_desired([root / "day-to-night"], cwd=root)
    assert [len(m.pairs) for m in desired.models] == [2]
