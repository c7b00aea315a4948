"""The command line, ``xeploai``: each subcommand parses its arguments and calls the façade and the stages.

In: arguments and files. Out: text on the console, files, exit codes. Nothing imports this package.
"""

from xeploai.cli.app import main

__all__ = ["main"]
