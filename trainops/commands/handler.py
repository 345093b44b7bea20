"""The one error handler: what a command raised, as a message on stderr and an exit code.

A `TrainopsError` is the user's to fix (exit 1, with its diagnostics and hint; 75 when another
apply holds the lock: `LockedError`); ^C is 130 (with what may still be running, when the command
knows: `Interrupted`); anything else is a bug in trainops (exit 3, with the traceback to report).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable

from trainops.commands import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_LOCKED
from trainops.errors import Interrupted, LockedError, ManifestError, TrainopsError
from trainops.redact import forget, redact, register_environ, strip_bidi


def err(text: str) -> None:
    """A line on stderr: never a credential, never a bidi control (see `trainops.redact`)."""
    print(strip_bidi(redact(text)), file=sys.stderr, flush=True)


def report(exc: TrainopsError) -> None:
    if isinstance(exc, ManifestError):
        for d in exc.diagnostics:
            err(str(d) if d.severity == "error" else f"warning: {d}")
    err(f"error: {exc.message}")
    if exc.hint:
        err(f"hint: {exc.hint}")


def handle(command: Callable[[], int]) -> int:
    """Run one command; its exit code, whatever it raised."""
    # A plan of hundreds of models allocates enough for full collections, and each would walk
    # every module and cache start-up left alive: keep those out of the collector meanwhile.
    gc.freeze()
    # This command's secrets only (a process runs one command; a test process, many).
    forget()
    register_environ(os.environ)
    try:
        return command()
    except Interrupted as exc:
        err(f"interrupted: {exc.message}")
        if exc.hint:
            err(f"hint: {exc.hint}")
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        err("interrupted")
        return EXIT_INTERRUPTED
    except TrainopsError as exc:
        report(exc)
        return EXIT_LOCKED if isinstance(exc, LockedError) else EXIT_ERROR
    except Exception:
        err("error: an unexpected error occurred (this is a bug in trainops; please report it)")
        err(traceback.format_exc())
        return EXIT_BUG
    finally:
        gc.unfreeze()
