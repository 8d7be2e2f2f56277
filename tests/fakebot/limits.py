"""Telegram's flood limits, for the fake Bot API server (opt-in: `FakeTelegram.limits`).

What Telegram documents for bots: about 30 messages a second overall, at most one a second to
one chat, and at most 20 a minute to one group. Beyond them it answers 429 "Too Many
Requests: retry after N" with `parameters.retry_after` = N whole seconds. Here each limit is a
strict sliding window over the messages accepted (a refused request delivers nothing, so it
does not count against the window; it is counted in `refused`)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

MESSAGES_PER_SECOND = 30
CHAT_GAP_SECONDS = 1.0
GROUP_MESSAGES_PER_MINUTE = 20


@dataclass
class Refusal:
    at: float
    chat_id: int
    reason: str  # "global" | "chat" | "group"
    retry_after: int


@dataclass
class TelegramLimits:
    per_second: int = MESSAGES_PER_SECOND
    chat_gap: float = CHAT_GAP_SECONDS
    group_per_minute: int = GROUP_MESSAGES_PER_MINUTE
    refusals: list[Refusal] = field(default_factory=list)
    _recent: deque[float] = field(default_factory=deque)  # accepted, last second
    _chat_last: dict[int, float] = field(default_factory=dict)
    _group_recent: dict[int, deque[float]] = field(default_factory=dict)  # last minute

    @property
    def refused(self) -> int:
        return len(self.refusals)

    def admit(self, chat_id: int, now: float, messages: int = 1) -> int | None:
        """Record `messages` sent to `chat_id` at `now` and return None, or refuse them all
        and return retry_after in whole seconds (at least 1, as Telegram gives)."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        group = self._group_recent.get(chat_id) if chat_id < 0 else None
        while group and group[0] <= now - 60.0:
            group.popleft()
        wait, reason = 0.0, ""
        excess = len(self._recent) + messages - self.per_second
        if excess > 0 and self._recent:
            # Free once the `excess` oldest have left the window.
            wait, reason = self._recent[min(excess, len(self._recent)) - 1] + 1.0 - now, "global"
        last = self._chat_last.get(chat_id)
        if last is not None and now - last < self.chat_gap and last + self.chat_gap - now > wait:
            wait, reason = last + self.chat_gap - now, "chat"
        excess = len(group) + messages - self.group_per_minute if group is not None else 0
        if group and excess > 0:
            free_at = group[min(excess, len(group)) - 1] + 60.0
            if free_at - now > wait:
                wait, reason = free_at - now, "group"
        if reason:
            retry_after = max(1, math.ceil(wait))
            self.refusals.append(Refusal(now, chat_id, reason, retry_after))
            return retry_after
        self._recent.extend([now] * messages)
        self._chat_last[chat_id] = now
        if chat_id < 0:
            self._group_recent.setdefault(chat_id, deque()).extend([now] * messages)
        return None
