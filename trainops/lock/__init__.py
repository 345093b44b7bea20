"""The apply lock: one apply at a time on a workspace, wherever the applies run (a laptop and CI,
outside the workflow's concurrency group). The API has no lock, so it is kept in tags on the team's
models, like every other record of trainops (`trainops.tags`):

- home:  an empty model, `trainops apply lock (<workspace>)` of type `HOME_TYPE`, tagged
         `trainops-lockmodel:<workspace slug>`; created by the first apply, never trained, found
         by listing the team's models (private models cannot be filtered by tag). Two first
         applies at once may each create one: a lock is taken on every home found, and homes
         are never deleted, so what an apply finds includes every home an earlier one found:
         any two applies lock on at least one home in common.
- lock:  a tag `trainops-lock:<expires, unix seconds>.<lock id>/<holder>` on every home; the
         holder says who (user@host:pid, or the GitHub Actions run), never a secret.

Records (`trainops.lock.record`) and the protocol (`trainops.lock.protocol`) live apart.
"""

from __future__ import annotations

from trainops.lock.protocol import Holding, find_homes, held, unlock
from trainops.lock.record import (
    HOLDER_MAX,
    HOME_PREFIX,
    HOME_TYPE,
    ID_LEN,
    LOCK_PREFIX,
    TTL,
    Lock,
    holder_of,
    home_name,
    home_tag,
    new_lock_id,
    parse_lock,
)

__all__ = [
    "HOLDER_MAX",
    "HOME_PREFIX",
    "HOME_TYPE",
    "ID_LEN",
    "LOCK_PREFIX",
    "TTL",
    "Holding",
    "Lock",
    "find_homes",
    "held",
    "holder_of",
    "home_name",
    "home_tag",
    "new_lock_id",
    "parse_lock",
    "unlock",
]
