"""One module per command: typed keyword arguments in, an exit code out. They print; the core
modules they call never do."""
