"""The `mri` command line: wires core (recommender), training (catalog, eval) and the bots.

One module per command group (catalog, data, audio, eval, db, bot, models, services), all run
inside `errors.MriGroup`, the one place where a mistake becomes one sentence and exit code 2.
"""

from mri.cli.root import app, main

__all__ = ["app", "main"]
