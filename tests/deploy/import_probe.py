"""Import every module of some packages as if some installed distributions were not there.

Run as a child process (``python tests/deploy/import_probe.py``) with a JSON request on stdin:
``{"refuse": [top-level import names], "packages": ["shared", ...], "skip": [module prefixes]}``.
Importing a refused name raises ModuleNotFoundError, as if its distribution were not installed, so
a module that needs a package outside the allowed set fails to import. Prints
``{"imported": n, "failures": [[module, error], ...], "refused": [names]}`` as JSON. Standard library only.
"""

from __future__ import annotations

import importlib
import importlib.abc
import json
import pkgutil
import sys
import traceback


class Refuse(importlib.abc.MetaPathFinder):
    """Refuses the given top-level names (and remembers which were asked for)."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.refused: set[str] = set()

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> None:
        if fullname not in self.refuse:
            return None
        self.refused.add(fullname)
        raise ModuleNotFoundError(f"No module named {fullname!r} (not in the allowed distributions)")


def main() -> int:
    request = json.load(sys.stdin)
    finder = Refuse(set(request["refuse"]))
    sys.meta_path.insert(0, finder)
    skip = tuple(request.get("skip", ()))
    failures: list[list[str]] = []
    imported = 0
    for package in request["packages"]:
        root = importlib.import_module(package)
        names = [package] + [
            info.name
            for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.", onerror=lambda _: None)
        ]
        for name in names:
            if name.endswith(".__main__") or (skip and name.startswith(skip)):
                continue
            try:
                importlib.import_module(name)
                imported += 1
            except Exception as exc:
                failures.append([name, "".join(traceback.format_exception_only(exc)).strip()])
    json.dump({"imported": imported, "failures": failures, "refused": sorted(finder.refused)}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
