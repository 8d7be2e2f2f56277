"""The rules of Telegram's send limits that both keepers of send slots apply: the one in
memory (bot/delivery.LocalSlots) and the one in Redis for several instances
(storage/redis_state.RedisSendSlots). Kept here, below both, so they cannot drift apart."""

from __future__ import annotations

# Sending is limited on our clock and counted on Telegram's: this much is added to every
# window and gap, for rounding and clock drift (not for network jitter, which counting a
# send from its grant to its answer, see LocalSlots, already allows for).
LIMIT_MARGIN = 0.005
# Telegram allows a group 20 messages a minute: one every three seconds keeps any minute to 20.
GROUP_INTERVAL = 3.0
# How far behind its schedule sending may catch up after a late wake-up (LocalSlots).
CATCH_UP = 0.25
# How long a send not yet settled still counts as under way: longer than any request may take
# (send_timeout), so a process that dies mid-send holds a slot only this long.
SEND_HOLD = 30.0
