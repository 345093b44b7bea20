from __future__ import annotations

from trainops.cli import main

raise SystemExit(main())
