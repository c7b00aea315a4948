"""``python -m xeploai``: the command line (see ``xeploai.cli``)."""

from xeploai.cli import main

raise SystemExit(main())
