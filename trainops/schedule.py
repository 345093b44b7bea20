"""Launching trainings under the team's limits: a refusal that time lifts is a deferral.

Scenario caps a team's concurrent trainings (a 429 naming `parallel-training` and its
`actionLimit`) and spaces launches (a cooldown: a 429 with `remainingSeconds`). Both refuse the
trigger before the API acts, so sending it again later is safe; a timeout or a 5xx is another
matter (`apply` re-reads the model, never re-sends blindly). A dataset ceiling, or a plan that
allows no training, time does not lift: that model fails with the limit named
(`QuotaError.waitable`).

Without --wait, a refused training is `deferred`: nothing started, and the next apply starts it.
With --wait (`queue`), refused trainings queue in plan order. One loop sends the first of them
again when the team has a free slot (it lists the team's models in training: those this apply
started and any other) and no cooldown runs (it sleeps through one), and a model that comes to
its trigger while others queue joins the queue rather than take their slot. The queue gives up
at --wait-timeout: what is left stays `deferred`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from trainops.errors import QuotaError
from trainops.scenario.client import Scenario
from trainops.scenario.retry import duration_text

T = TypeVar("T")
Progress = Callable[[str], None]
NEXT_APPLY = "the next apply starts it"


class Deferred(Exception):
    """A training the team's limits did not let start: `by` names the limit, `detail` says
    what happens next (one line, the model's outcome)."""

    def __init__(self, by: str, detail: str) -> None:
        super().__init__(detail)
        self.by = by
        self.detail = detail


def deferral(exc: QuotaError, why: str = NEXT_APPLY) -> Deferred:
    left = exc.remaining_seconds
    said = f" ({duration_text(left)} left)" if left is not None else ""
    return Deferred(exc.limit_text, f"deferred by {exc.limit_text}{said}: {why}")


@dataclass
class _Waiter:
    index: int
    key: str
    attempt: Callable[[], Awaitable[Any]]
    done: asyncio.Future[Any]


class Launcher:
    """Where every trigger of one apply goes through (`launch`). `queue` (--wait): refused
    trainings queue instead of being deferred, for at most `timeout` seconds from now; the
    team's running trainings are looked at every `interval` seconds while the cap is met."""

    def __init__(
        self,
        client: Scenario,
        order: Mapping[str, int],
        *,
        queue: bool = False,
        interval: float = 5.0,
        timeout: float | None = None,
        progress: Progress = lambda _line: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client, self.order, self.queue = client, order, queue
        self.interval, self.timeout, self.progress, self.clock = interval, timeout, progress, clock
        self.waiting: list[_Waiter] = []
        self._deadline = None if timeout is None else clock() + timeout
        self._task: asyncio.Task[None] | None = None
        self._by = "the team's limits"  # the limit of the last refusal, in words
        self._full = False  # the cap on parallel trainings was met: look before each launch
        self._cap: float | None = None  # its `actionLimit`, when the API named it
        self._seen: int | None = None  # trainings running when it was met, when not named
        self._resume_at = 0.0  # the end of the last cooldown, on `clock`

    async def launch(self, key: str, attempt: Callable[[], Awaitable[T]]) -> T:
        """`attempt()` (a trigger that raises `QuotaError` when refused), sent again as the
        limits allow (`queue`), else `Deferred`; any other error is the caller's."""
        if not self.waiting:
            try:
                return await attempt()
            except QuotaError as exc:
                if not exc.waitable:
                    raise
                if not self.queue:
                    raise deferral(exc) from None
                self._note(exc)
                self.progress(f"{key}: queued behind {exc.limit_text}: it starts in plan order")
        else:
            self.progress(f"{key}: queued behind the trainings waiting for the team's limits")
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.waiting.append(_Waiter(self.order.get(key, len(self.order)), key, attempt, done))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return cast(T, await done)

    async def close(self) -> None:
        """Stop the queue's loop (^C): its waiters are cancelled with the apply."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while self.waiting:
            head = min(self.waiting, key=lambda w: (w.index, w.key))
            if head.done.done():  # its model's run was cancelled
                self.waiting.remove(head)
                continue
            if not await self._ready():
                self._give_up()
                return
            try:
                result = await head.attempt()
            except QuotaError as exc:
                if exc.waitable:
                    self._note(exc)
                    continue
                self._settle(head, error=exc)
            except Exception as exc:  # the model's own error: its run reports it
                self._settle(head, error=exc)
            else:
                self._settle(head, result=result)

    def _settle(self, w: _Waiter, *, result: object = None, error: Exception | None = None) -> None:
        self.waiting.remove(w)
        if w.done.done():
            return
        if error is not None:
            w.done.set_exception(error)
        else:
            w.done.set_result(result)

    def _note(self, exc: QuotaError) -> None:
        """What a refusal says about when to try again."""
        self._by = exc.limit_text
        if exc.remaining_seconds is not None:
            self._resume_at = max(self._resume_at, self.clock() + exc.remaining_seconds)
            left = duration_text(exc.remaining_seconds)
            self.progress(f"{exc.limit_text}: the next training starts in {left}")
        else:
            self._full = True
            self._cap = exc.limit
            self._seen = None

    async def _ready(self) -> bool:
        """Until the first waiter may be sent: no cooldown runs and the team has a free slot.
        False at the deadline."""
        while True:
            now = self.clock()
            end = math.inf if self._deadline is None else self._deadline
            if now >= end:
                return False
            if now < self._resume_at:
                await asyncio.sleep(min(self._resume_at, end) - now)
                continue
            if not self._full:
                return True
            running = await self._running()
            cap = self._cap if self._cap is not None else self._seen
            if cap is None:  # the API did not name its cap: wait until one of these ends
                self._seen = running
            elif running < cap or running == 0:
                return True
            await asyncio.sleep(max(min(self.interval, end - self.clock()), 0.0))

    async def _running(self) -> int:
        """The team's trainings running now, this apply's included."""
        models = await self.client.list_models(status="training")
        # Checked again: the API ignores a status filter it does not know.
        return sum(1 for m in models if m.status == "training")

    def _give_up(self) -> None:
        waited = f"--wait gave up after {duration_text(self.timeout or 0.0)}; {NEXT_APPLY}"
        for w in list(self.waiting):
            self._settle(w, error=Deferred(self._by, f"deferred by {self._by}: {waited}"))
