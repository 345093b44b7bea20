from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fake_github import FakeGithub, serve_fake_github
from tests.support.github_env import TOKEN


@pytest.fixture
def fake_github() -> Iterator[FakeGithub]:
    """The fake GitHub API over real HTTP, accepting `TOKEN`; `environ(tmp_path, fake_github,
    event)` (tests/support/github_env.py) is the environment that points trainops at it."""
    with serve_fake_github(TOKEN) as server:
        yield server
