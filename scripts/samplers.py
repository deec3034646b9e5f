#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff samplers` (see `wavediff samplers --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["samplers", *sys.argv[1:]])
