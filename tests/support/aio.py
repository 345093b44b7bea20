"""`@synchronous`: an `async def` test or helper that its callers call like a plain function.

The project runs without pytest-asyncio (`-p no:asyncio`): a test that awaits is written

    @synchronous
    async def test_something(sandbox: Starlette) -> None:
        async with http_client(sandbox) as c:
            ...

and a helper that awaits but is called from a synchronous test (one that runs the CLI, whose
`main` starts its own event loop) is decorated the same way. Each call runs the coroutine to
the end in a fresh event loop (`asyncio.run`).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def synchronous(fn: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    # functools.wraps keeps the signature (pytest reads the fixtures a test asks for from it)
    # while the wrapper itself is a plain function, which pytest runs without a plugin.
    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(fn(*args, **kwargs))

    return call
