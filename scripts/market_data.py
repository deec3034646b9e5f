#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff market-data` (see `wavediff market-data --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["market-data", *sys.argv[1:]])
