#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff generate` (see `wavediff generate --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["generate", *sys.argv[1:]])
