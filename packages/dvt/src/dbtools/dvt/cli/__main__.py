"""`python -m dbtools.dvt.cli`."""

from . import main

main()
