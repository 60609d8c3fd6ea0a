"""Run the command line with `python -m statusboard`."""

from statusboard.cli import main

raise SystemExit(main())
