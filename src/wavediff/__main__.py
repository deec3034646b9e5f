"""``python -m wavediff <command>``: the same as the installed ``wavediff`` command."""

from wavediff.cli.main import main

main()
