#!/usr/bin/env python
"""Rewrite the generated pages of docs/reference/ (commands, environment variables, registry schema)."""

from pathlib import Path

from wavediff.cli.reference import write

if __name__ == "__main__":
    for path in write(Path(__file__).resolve().parents[1]):
        print(f"wrote {path}")
