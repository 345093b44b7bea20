"""The pipeline driver: the parts of `engine` that no command test pins on its own."""

from __future__ import annotations

from trainops import engine


class Costly:
    """Stands for a plan of 500 models: a full repr of one costs ~0.1 s."""

    reprs = 0

    def __repr__(self) -> str:
        Costly.reprs += 1
        return "Costly()"


def test_run_returns_the_result_without_ever_formatting_it() -> None:
    # asyncio.run restores the SIGINT handler on the way out, and on Python 3.11+ the signal
    # module formats the old handler (a partial holding the finished main task, so its result)
    # into an error message it then throws away: a warm plan of 500 models paid 0.1-0.2 s for it.
    async def main() -> Costly:
        return Costly()

    Costly.reprs = 0
    out = engine.run(main())
    assert isinstance(out, Costly)
    assert Costly.reprs == 0
