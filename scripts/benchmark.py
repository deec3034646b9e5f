#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff benchmark` (see `wavediff benchmark --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["benchmark", *sys.argv[1:]])
