"""`python -m b2b` runs the `b2b` command."""

from b2b.cli import main

main()
