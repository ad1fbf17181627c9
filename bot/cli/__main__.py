"""`python -m bot.cli`: the same as the `salonbot` script."""

from bot.cli import main

raise SystemExit(main())
