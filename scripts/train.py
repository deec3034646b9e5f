#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff train` (see `wavediff train --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["train", *sys.argv[1:]])
