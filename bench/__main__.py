"""Run every benchmark (or those named on the command line) and print one line each."""

import importlib
import pkgutil
import sys

import bench
from bench.harness import REGISTRY, fresh_app


def discover() -> None:
    """Import every module of ``bench/``: each registers its benchmarks."""
    for module in pkgutil.iter_modules(bench.__path__):
        if module.name not in {"__main__", "harness"}:
            importlib.import_module(f"bench.{module.name}")


def main(names: list[str]) -> int:
    discover()
    selected = names or list(REGISTRY)
    unknown = [name for name in selected if name not in REGISTRY]
    if unknown:
        print(f"unknown benchmarks: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name in selected:
        with fresh_app() as app:
            result = REGISTRY[name](app)
        print(result.line(name), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
