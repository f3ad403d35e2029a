"""``python -m myloware.cli`` — same as the ``myloware`` command."""

from myloware.cli import main

main()
