"""How many tries, and how long between them: one retry policy for every API trainops calls (the
Scenario API and GitHub's). Which calls may be retried at all is each client's business."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5  # total tries for a retryable call, the first one included
    base_delay: float = 0.5  # backoff: min(base * 2^n, max_delay), times a jitter when asked
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After (or rate-limit reset) fails the call
    jitter: bool = True  # in [0.75, 1]: clients that retry at once do not retry in step
    # For synchronous callers; the async Scenario client awaits asyncio.sleep.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    clock: Callable[[], float] = field(default=time.time, compare=False)


def backoff(policy: RetryPolicy, attempt: int) -> float:
    """The wait after failed attempt `attempt` (1-based)."""
    delay = min(policy.base_delay * 2.0 ** (attempt - 1), policy.max_delay)
    return delay * random.uniform(0.75, 1.0) if policy.jitter else delay
