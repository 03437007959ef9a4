"""`python -m mri.cli …` (how `mri run` starts its children)."""

from mri.cli.root import main

main()
