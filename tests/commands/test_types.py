# ruff: noqa: E501  (snapshots hold whole output lines)
"""`trainops types [TYPE]` (issue 15, item 6): the trainable types, and the parameters one type
takes with their range and the API's documented default, as text and as versioned JSON."""

from __future__ import annotations

import json

from inline_snapshot import snapshot

from tests.support.cli import Cli
from trainops.manifest.parameters import MODEL_TYPES, check_parameter


def test_types_lists_every_trainable_type(cli: Cli) -> None:
    assert cli("types") == 0, cli.err
    assert cli.out == snapshot("""\
TYPE                            FAMILY                               TRAINS ON
flux.1-lora                     Flux LoRA                            images
flux.1-kontext-lora             Flux LoRA                            image pairs
flux.1-krea-lora                Flux LoRA                            images
flux.2-dev-lora                 Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
flux.2-dev-edit-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
flux.2-klein-4b-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
flux.2-klein-4b-edit-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
flux.2-klein-9b-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
flux.2-klein-9b-edit-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
flux.2-klein-base-4b-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
flux.2-klein-base-4b-edit-lora  Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
flux.2-klein-base-9b-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
flux.2-klein-base-9b-edit-lora  Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
qwen-image-lora                 Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
qwen-image-2512-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
qwen-image-edit-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
qwen-image-edit-2509-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
qwen-image-edit-2511-lora       Musubi (FLUX.2, Qwen, Z-Image LoRA)  image pairs
zimage-lora                     Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
zimage-turbo-lora               Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
zimage-de-turbo-lora            Musubi (FLUX.2, Qwen, Z-Image LoRA)  images
sd-xl-lora                      SDXL LoRA                            images         legacy: the API may refuse new models of it
sd-1_5                          SD 1.5                               images         legacy: the API may refuse new models of it
sd-1_5-lora                     SD 1.5                               images         legacy: the API may refuse new models of it
elevenlabs-voice                ElevenLabs voice                     audio samples

`trainops types TYPE` lists the parameters a type takes.
""")
    assert cli.err == ""


def test_types_type_lists_its_parameters_with_range_and_default(cli: Cli) -> None:
    assert cli("types", "flux.1-kontext-lora") == 0, cli.err
    assert cli.out == snapshot("""\
flux.1-kontext-lora: Flux LoRA, trains on image pairs

PARAMETER                KIND      DEFAULT                 RANGE
batchSize                number    -                       from 1 to 4, whole
conceptPrompt            string    ""                      any text
learningRate             number    0.0001                  over 0
learningRateTextEncoder  number    1e-05                   from 1e-06 to 0.001
maxTrainSteps            number    100 per training image  from 0 to 10000, whole
nbEpochs                 number    -                       from 1 to 30, whole
nbRepeats                number    -                       from 1 to 30, whole
optimizeFor              string    -                       one of likeness
rank                     number    16                      from 2 to 64, whole
samplePrompts            string[]  -                       a list of texts
sampleSourceImages       string[]  -                       a list of texts
wandbKey                 string    -                       up to 40 characters · a secret: only by reference, {env: NAME}
""")


def test_a_legacy_type_says_so_and_its_enums_are_listed(cli: Cli) -> None:
    assert cli("types", "sd-1_5") == 0, cli.err
    assert cli.out == snapshot("""\
sd-1_5: SD 1.5, trains on images (legacy: the API may refuse new models of it)

PARAMETER                 KIND     DEFAULT                                  RANGE
classPrompt               string   -                                        any text
conceptPrompt             string   "daiton" (when there is no classPrompt)  any text
learningRate              number   5e-06                                    over 0
learningRateTextEncoder   number   -                                        over 0 to 0.001
lrScheduler               string   "constant"                               one of constant, constant-with-warmup, cosine, cosine-with-restarts, linear, polynomial
maxTrainSteps             number   75 per training image                    from 0 to 40000, whole
priorLossWeight           number   -                                        over 0
randomCrop                boolean  -                                        true or false
randomCropRatio           number   -                                        from 0 to 1
randomCropScale           number   -                                        from 0 to 1
scaleLr                   boolean  -                                        true or false
seed                      number   random                                   from 0 to 9007199254740991, whole
textEncoderTrainingRatio  number   -                                        from 0 to 0.99
validationFrequency       number   -                                        from 0, whole
validationPrompt          string   -                                        any text
wandbKey                  string   -                                        up to 40 characters · a secret: only by reference, {env: NAME}
""")


def test_types_json_is_versioned(cli: Cli) -> None:
    assert cli("types", "--format", "json") == 0
    data = json.loads(cli.out)
    assert data["format_version"] == "1.0"
    assert [t["type"] for t in data["types"]] == list(MODEL_TYPES)
    assert data["types"][1] == snapshot(
        {
            "type": "flux.1-kontext-lora",
            "family": "flux-lora",
            "family_label": "Flux LoRA",
            "trains_on": "image pairs",
            "legacy": False,
        }
    )


def test_types_type_json_gives_each_parameter_its_shape(cli: Cli) -> None:
    assert cli("types", "elevenlabs-voice", "--format", "json") == 0
    data = json.loads(cli.out)
    assert {k: v for k, v in data.items() if k != "parameters"} == snapshot(
        {
            "format_version": "1.0",
            "type": "elevenlabs-voice",
            "family": "voice",
            "family_label": "ElevenLabs voice",
            "trains_on": "audio samples",
            "legacy": False,
        }
    )
    by_name = {p["name"]: p for p in data["parameters"]}
    assert by_name["cloneType"] == snapshot(
        {
            "name": "cloneType",
            "kind": "string",
            "minimum": None,
            "maximum": None,
            "exclusive_minimum": False,
            "enum": ["instant", "professional"],
            "max_length": None,
            "whole": False,
            "secret": False,
            "default": None,
            "default_note": "",
            "description": "",
        }
    )
    assert by_name["maxTrainSteps"] == snapshot(
        {
            "name": "maxTrainSteps",
            "kind": "number",
            "minimum": 0,
            "maximum": 40000,
            "exclusive_minimum": False,
            "enum": None,
            "max_length": None,
            "whole": True,
            "secret": False,
            "default": None,
            "default_note": "",
            "description": "",
        }
    )


def test_the_listed_ranges_are_the_ones_validate_holds_manifests_to(cli: Cli) -> None:
    # The bounds shown are the checker's: a value at each shown bound passes, one past it fails.
    for model_type in MODEL_TYPES:
        assert cli("types", model_type, "--format", "json") == 0
        for p in json.loads(cli.out)["parameters"]:
            name, lo, hi = p["name"], p["minimum"], p["maximum"]
            if hi is not None:
                assert check_parameter(model_type, name, hi) is None
                assert check_parameter(model_type, name, hi * 2 + 1) is not None
            if lo is not None:
                at = check_parameter(model_type, name, lo)
                assert (at is not None) == p["exclusive_minimum"], (model_type, name)


def test_an_unknown_type_names_the_closest_one(cli: Cli) -> None:
    assert cli("types", "flux.1-lor") == 1
    assert cli.out == ""
    assert cli.err == snapshot("""\
error: unknown model type 'flux.1-lor'
hint: did you mean flux.1-lora? `trainops types` lists the trainable types
""")


def test_schema_no_longer_claims_to_list_the_types(cli: Cli) -> None:
    assert cli("--help") == 0
    (schema,) = [line for line in cli.out.splitlines() if line.strip().startswith("schema")]
    assert "JSON Schema" in schema
    assert "types" in cli.out
