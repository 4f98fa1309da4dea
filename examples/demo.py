"""The dbtools demo. Until the end-to-end demo exists, it shows the packages that are installed."""

from __future__ import annotations

import importlib
import sys

PACKAGES = [
    "sqlcommenter",
    "connector",
    "pgadapter",
    "migrate",
    "dvt",
    "spanner_local",
    "cloudsql_local",
]


def main() -> int:
    for name in PACKAGES:
        try:
            mod = importlib.import_module(f"dbtools.{name}")
        except ImportError:
            print(f"- dbtools.{name}: not built yet")
            continue
        print(f"- dbtools.{name} {getattr(mod, '__version__', '?')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
