#!/usr/bin/env python
"""Shim for a checkout: the same as `wavediff forecast` (see `wavediff forecast --help`)."""

from wavediff.cli.main import main

if __name__ == "__main__":
    import sys

    main(["forecast", *sys.argv[1:]])
