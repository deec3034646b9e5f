#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff studio` (see `wavediff studio --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["studio", *sys.argv[1:]])
