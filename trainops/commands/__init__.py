"""One module per command: typed keyword arguments in, an exit code out. They print; the core
modules they call never do.

The exit codes are a documented contract (README "Exit codes"), defined here once:
  0    success; with --detailed-exitcode: no changes
  1    a user-fixable error (invalid manifest, API refusal, failed training, ...)
  2    with --detailed-exitcode: the plan has changes
  3    an internal bug in trainops
  75   apply: another apply holds the workspace's lock; nothing was changed (try again later)
  130  interrupted
  141  the output pipe was closed before everything was written (`trainops plan | head -1`):
       what git and terraform end with, killed by SIGPIPE, as the shell reports it
"""

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_BUG = 3
EXIT_LOCKED = 75  # sysexits' EX_TEMPFAIL: a temporary failure, the user is invited to retry
EXIT_INTERRUPTED = 130
EXIT_PIPE = 141  # 128 + SIGPIPE
