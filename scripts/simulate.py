#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff simulate` (see `wavediff simulate --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["simulate", *sys.argv[1:]])
