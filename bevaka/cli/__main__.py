"""``python -m bevaka.cli``: the same as the ``bevaka`` command."""

from bevaka.cli.main import main

main()
