"""The one error handler: what a command raised, as a message on stderr and an exit code.

A `TrainopsError` is the user's to fix (exit 1, with its diagnostics and hint; 75 when another
apply holds the lock: `LockedError`); ^C is 130 (with what may still be running, when the command
knows: `Interrupted`); a closed output pipe (`trainops plan | head -1`) ends quietly with 141,
as a command killed by SIGPIPE does (git, terraform); anything else is a bug in trainops
(exit 3, with the traceback to report).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from collections.abc import Callable

from trainops.commands import EXIT_BUG, EXIT_ERROR, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_PIPE
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
        code = command()
        # What is still buffered is written here, not at exit, where a closed pipe is not ours.
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_PIPE
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


def _silence_stdout() -> None:
    """The reader is gone: what is left in stdout's buffer goes nowhere, so the interpreter's
    flush at exit does not fail again and print its own complaint."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # not a real file (a test's captured stdout)
        pass
