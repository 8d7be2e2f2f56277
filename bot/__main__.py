"""`python -m bot`: the same as the `lapor-netral` command (bot/entry.py)."""

from __future__ import annotations

import sys

from bot.entry import main

if __name__ == "__main__":
    sys.exit(main())
