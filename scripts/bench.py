#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff bench` (see `wavediff bench --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["bench", *sys.argv[1:]])
