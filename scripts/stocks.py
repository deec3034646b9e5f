#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff stocks` (see `wavediff stocks --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["stocks", *sys.argv[1:]])
