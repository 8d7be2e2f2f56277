"""What a server of ours raises when it cannot bind its port: the webhook's and the
playground's. The command line (bot/cli) words it for the operator; the servers do not
depend on the command line."""

from __future__ import annotations


class CannotListen(Exception):
    """`port` could not be bound (taken since the start-up check, or not this user's to
    open); `error` is the system's reason."""

    def __init__(self, port: int, error: OSError) -> None:
        super().__init__(port, error)
        self.port = port
        self.error = error
