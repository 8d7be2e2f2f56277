"""The last pass over every string that reaches the log: numbers that could be a chat id,
a user id or a phone number go, and so does the bot token.

Telegram ids are 5 to 13 digits (a group's chat id with a -100 in front); an Indonesian
phone number is 9 to 13 digits, written +62 812-3456-7890, 0812 3456 7890, (0812)
34567890 and so on. So any five or more digits in a row, allowing up to two separators
(space, dot, hyphen, slash, parentheses) between them and a leading +, become `[number]`.
A date or an IP address in a message goes too; that is the price. Numbers the operator
needs (update_id, outbox_id, attempt) are logged as numeric fields, which are not strings
and are kept as they are.

Two shapes are spared because they carry no one's identity and the operator needs them
whole: tracking codes (ASN-7K2M-9QXD; only when the code has a letter in it, so that
"HP-0812-3456" cannot pass for one) and hexadecimal digests of 32 or more characters with
a letter in them (an evidence file's SHA-256); and PostgreSQL's five-character error codes
after the word SQLSTATE."""

from __future__ import annotations

import re

NUMBER = "[number]"
TOKEN = "[token]"

_BOT_TOKEN = re.compile(
    r"\d{5,}:[A-Za-z0-9_-]{30,}"
    # In a Bot API address (an aiohttp error quotes the URL it could not use), a token of
    # any length: the secret half of a short one would pass the pattern above.
    r"|(?<=/bot)\d+:[^/\s\"']+"
)
_CROCKFORD = "[0-9A-HJKMNP-TV-Z]"
_KEPT_OR_NUMBER = re.compile(
    "(?P<kept>"
    # A tracking code: prefix, then 4 + 4 characters of which at least one is a letter.
    rf"\b[A-Z]{{1,10}}-(?=[0-9A-Z-]{{0,8}}[A-Z]){_CROCKFORD}{{4}}-{_CROCKFORD}{{4}}(?![\w-])"
    # A digest.
    r"|\b(?=[0-9a-f]*[a-f])[0-9a-f]{32,}\b"
    # A PostgreSQL error code.
    r"|\bSQLSTATE [0-9A-Z]{5}\b"
    ")"
    # A number: five digits or more, separators between them.
    r"|\+?\(?\d(?:[ .\-/()]{0,2}\d){4,}"
)


def _keep_or_replace(match: re.Match[str]) -> str:
    return match.group("kept") or NUMBER


def scrub_numbers(text: str) -> str:
    """`text` without long numbers or the bot token."""
    return _KEPT_OR_NUMBER.sub(_keep_or_replace, _BOT_TOKEN.sub(TOKEN, text))
