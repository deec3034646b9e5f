#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff registry` (see `wavediff registry --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["registry", *sys.argv[1:]])
