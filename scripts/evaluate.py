#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff evaluate` (see `wavediff evaluate --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["evaluate", *sys.argv[1:]])
