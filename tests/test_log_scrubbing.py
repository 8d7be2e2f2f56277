"""The log formatter and its scrubbing, line by line: exceptions whose text is the data
that failed (with their causes), numbers in every spelling, the strings of the update
being handled, and the ways Python and the libraries would print around the formatter.
Each line is written through the real configuration (bot/logs) into memory."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import sqlite3
import sys
import threading
import warnings
from typing import Any

import pytest

from bot.logs import current_update
from tests.helpers.logcapture import assert_none_of, bot_logs, json_lines

NAME = "Wulandari Kusumawati"
USERNAME = "wulan_saksi_tps"
USER_ID = 7_201_234_567
PHONE = "+62 812-3456-7890"
DESCRIPTION = "Pak Camat membagikan amplop biru berisi kupon sembako di Balai Desa Cikoneng."
SECRETS = [
    "Wulandari",
    "Kusumawati",
    USERNAME,
    str(USER_ID),
    "6281234567890",
    "081234567890",
    "812-3456-7890",
    "kupon sembako",
]

# An update as Telegram sends it, from the reporter.
UPDATE = {
    "update_id": 77,
    "message": {
        "message_id": 5,
        "date": 0,
        "from": {
            "id": USER_ID,
            "is_bot": False,
            "first_name": "Wulandari",
            "last_name": "Kusumawati",
            "username": USERNAME,
        },
        "chat": {"id": USER_ID, "type": "private", "first_name": "Wulandari"},
        "text": f"Saya {NAME}\n{DESCRIPTION}",
        "contact": {"phone_number": "6281234567890", "first_name": "Wulandari"},
    },
}

log = logging.getLogger("bot.test")


def logged(action: Any) -> list[dict[str, Any]]:
    """The JSON lines written while `action()` runs, checked to hold none of SECRETS."""
    with bot_logs() as stream:
        action()
    output = stream.getvalue()
    assert_none_of(output, SECRETS)
    return json_lines(output)


def raise_and_log(error_factory: Any) -> dict[str, Any]:
    def action() -> None:
        try:
            error_factory()
        except Exception:
            log.exception("step failed", extra={"update_id": 42})

    (entry,) = logged(action)
    return entry


# --- exceptions ---------------------------------------------------------------------------


def lookup_answer() -> None:
    answers: dict[str, str] = {}
    answers[NAME]


def parse_phone() -> None:
    try:
        lookup_answer()
    except KeyError as missing:
        raise ValueError(f"not a phone number: {PHONE}") from missing


def test_a_chain_of_exceptions_keeps_types_frames_and_notes_but_not_the_data() -> None:
    def deliver() -> None:
        try:
            parse_phone()
        except ValueError as wrong:
            raise RuntimeError(f"delivery to chat {USER_ID} stalled") from wrong

    entry = raise_and_log(deliver)
    error = entry["error"]
    assert entry["update_id"] == 42, "numeric fields are kept"
    assert error.startswith("Traceback (most recent call last):")
    assert error.index("KeyError") < error.index("ValueError") < error.index("RuntimeError")
    assert error.count("The above exception was the direct cause of the following") == 2
    assert "in lookup_answer" in error and "in parse_phone" in error, "frames of every link"
    assert "answers[NAME]" in error, "source lines are code, kept"
    assert "KeyError: (message withheld" in error and "ValueError: (message withheld" in error
    # Other exceptions keep their message, less the numbers.
    assert error.endswith("RuntimeError: delivery to chat [number] stalled")


def test_from_none_hides_the_chain_as_python_does() -> None:
    def deliver() -> None:
        try:
            parse_phone()
        except ValueError:
            raise RuntimeError(f"delivery to chat {USER_ID} stalled") from None

    error = raise_and_log(deliver)["error"]
    assert "KeyError" not in error and "ValueError" not in error
    assert error.endswith("RuntimeError: delivery to chat [number] stalled")


def test_an_exception_raised_while_handling_another_shows_both() -> None:
    def handling() -> None:
        try:
            int(NAME)
        except ValueError:
            {}[USERNAME]

    error = raise_and_log(handling)["error"]
    assert "During handling of the above exception, another exception occurred:" in error
    assert "ValueError: (message withheld" in error and "KeyError: (message withheld" in error


def test_a_failed_statement_shows_the_driver_error_and_sql_not_its_parameters() -> None:
    from sqlalchemy.exc import OperationalError

    def failing_insert() -> None:
        # As an engine without hide_parameters would raise it.
        raise OperationalError(
            "INSERT INTO reporter (name, phone, chat_id) VALUES (?, ?, ?)",
            (NAME, PHONE, USER_ID),
            sqlite3.OperationalError("database is locked"),
        )

    error = raise_and_log(failing_insert)["error"]
    assert (
        "sqlalchemy.exc.OperationalError: (sqlite3.OperationalError) database is locked "
        "[SQL: INSERT INTO reporter (name, phone, chat_id) VALUES (?, ?, ?)]"
    ) in error


def test_a_postgresql_error_loses_its_detail_line() -> None:
    import asyncpg
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
    from sqlalchemy.exc import IntegrityError

    duplicate = asyncpg.UniqueViolationError.new(
        {
            "M": 'duplicate key value violates unique constraint "reporter_phone_key"',
            "D": "Key (phone)=(+6281234567890) already exists.",
            "C": "23505",
            "S": "ERROR",
        }
    )
    adapted_type = AsyncAdapt_asyncpg_dbapi(asyncpg)._asyncpg_error_translate[
        asyncpg.UniqueViolationError
    ]

    def raw() -> None:
        raise duplicate

    error = raise_and_log(raw)["error"]
    assert "UniqueViolationError: duplicate key value" in error
    assert "SQLSTATE 23505" in error

    def wrapped() -> None:
        # What SQLAlchemy's asyncpg dialect raises: the driver error adapted, then wrapped.
        adapted = adapted_type(f"{type(duplicate)}: {duplicate}", duplicate)
        try:
            raise adapted from duplicate
        except Exception as error:
            raise IntegrityError(
                "INSERT INTO reporter (phone) VALUES ($1::VARCHAR)", (PHONE,), adapted
            ) from error

    error = raise_and_log(wrapped)["error"]
    assert 'violates unique constraint "reporter_phone_key"' in error
    assert "DETAIL" not in error and "already exists" not in error


def test_a_validation_error_shows_where_and_what_not_the_input() -> None:
    from aiogram.types import Update

    update = {
        "update_id": 9,
        "message": {
            "message_id": 1,
            "date": 0,
            "from": {"id": USER_ID, "is_bot": False, "first_name": NAME, "username": USERNAME},
            "text": DESCRIPTION,
        },
    }
    error = raise_and_log(lambda: Update.model_validate(update))["error"]
    assert "ValidationError: Update: message.chat [missing]" in error


def test_telegram_errors_show_the_method_and_first_line_not_the_chat_or_content() -> None:
    from aiogram.exceptions import ClientDecodeError, TelegramRetryAfter
    from aiogram.methods import SendMessage

    method = SendMessage(chat_id=USER_ID, text=DESCRIPTION)

    def flood() -> None:
        raise TelegramRetryAfter(method, f"Too Many Requests for {NAME}", retry_after=5)

    error = raise_and_log(flood)["error"]
    assert "TelegramRetryAfter: SendMessage: Flood control exceeded on method" in error
    assert "in chat [number]. Retry in 5 seconds." in error

    def undecodable() -> None:
        raise ClientDecodeError(
            "Failed to deserialize object",
            ValueError(f"bad input {NAME}"),
            {"ok": True, "result": [{"message": {"text": DESCRIPTION, "chat": {"id": USER_ID}}}]},
        )

    error = raise_and_log(undecodable)["error"]
    assert "ClientDecodeError: Failed to deserialize object (from ValueError)" in error


def test_exception_groups_show_each_sub_exception() -> None:
    def group() -> None:
        raise ExceptionGroup("sends failed", [KeyError(NAME), OSError(f"chat {USER_ID} gone")])

    error = raise_and_log(group)["error"]
    assert "ExceptionGroup: sends failed (2 sub-exceptions)" in error
    assert "KeyError: (message withheld" in error and "OSError: chat [number] gone" in error


def test_an_exception_whose_text_cannot_be_had_still_gives_a_line() -> None:
    class Broken(Exception):
        def __str__(self) -> str:
            raise RuntimeError(NAME)

    entry = raise_and_log(lambda: (_ for _ in ()).throw(Broken()))
    assert "Broken: (message unavailable)" in entry["error"]


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "+6281234567890",
        "6281234567890",
        "081234567890",
        "0812-3456-7890",
        "(0812) 3456 7890",
        "62 812 3456 7890",
        "+62.812.3456.7890",
        "+62 (812) 3456-7890",
        "-1001234567890",
        "id7201234567",
    ],
)
def test_phone_numbers_and_ids_go_from_messages_and_string_fields(spelling: str) -> None:
    (entry,) = logged(
        lambda: log.warning(
            "reply to %s failed", spelling, extra={"note": f"from {spelling}", "attempt": 3}
        )
    )
    digits = "".join(filter(str.isdigit, spelling))
    assert digits[-7:] not in json.dumps(entry)
    assert "[number]" in entry["message"] and "[number]" in entry["note"]
    assert entry["attempt"] == 3


def test_what_the_operator_needs_is_kept() -> None:
    digest = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    (entry,) = logged(
        lambda: log.info(
            "case %s stored",
            "ASN-2345-678X",
            extra={
                "update_id": 123_456_789,
                "outbox_id": 10_000_001,
                "case": "ASN-7K2M-9QXD",
                "sha256": digest,
                "kinds": ["message", "callback_query"],
            },
        )
    )
    assert entry["message"] == "case ASN-2345-678X stored"
    assert entry["update_id"] == 123_456_789 and entry["outbox_id"] == 10_000_001
    assert entry["case"] == "ASN-7K2M-9QXD" and entry["sha256"] == digest
    assert entry["kinds"] == ["message", "callback_query"]


def test_the_bot_token_goes() -> None:
    token = "7012345678:AAH3kfP2xq9Lm0vNw7ZtYbC4dE5fG6hIjKl"
    (entry,) = logged(
        lambda: log.warning("request failed", extra={"error": f"POST /bot{token}/sendMessage"})
    )
    assert entry["error"] == "POST /bot[token]/sendMessage"


def test_a_digit_run_with_a_letter_prefix_that_is_no_case_code_goes() -> None:
    (entry,) = logged(lambda: log.info("typed %s", "HP-0812-3456-7890"))
    assert entry["message"] == "typed HP-[number]"


# --- the update being handled -------------------------------------------------------------


def test_an_unforeseen_exception_cannot_echo_the_update_being_handled() -> None:
    class ReplyError(Exception):
        pass

    def action() -> None:
        with current_update.handling(UPDATE):
            try:
                raise ReplyError(f"cannot answer {DESCRIPTION!r} from {USERNAME.upper()}")
            except ReplyError:
                log.exception("update failed", extra={"detail": f"sender {NAME}"})
            log.info("%s said %s", {"who": NAME}, json.dumps(DESCRIPTION))

    first, second = logged(action)
    assert "ReplyError: cannot answer '[redacted]' from [redacted]" in first["error"]
    assert first["detail"] == "sender [redacted] [redacted]"  # first and last name
    assert NAME not in second["message"] and "[redacted]" in second["message"]


def test_a_name_written_with_lookalike_letters_is_still_redacted() -> None:
    # Case-insensitive matching takes the dotted capital I, the long s and the Kelvin sign
    # for i, s and k: a library upper-casing a name the Turkish way must not slip past.
    def action() -> None:
        with current_update.handling(UPDATE):
            log.info("typed %s", "WULAN_SAKSİ_TPS KUſUMAWATI")
            log.info("nothing personal here")

    first, second = logged(action)
    assert first["message"] == "typed [redacted] [redacted]"
    assert second["message"] == "nothing personal here"


def test_a_greek_name_is_redacted_whatever_its_sigma() -> None:
    # Σ lowers to σ or ς by its place in the word, and re takes both for the same letter.
    sender = {"id": 9, "is_bot": False, "first_name": "Νίκος", "last_name": "Παπαδόπουλος"}
    update = {"update_id": 78, "message": {"message_id": 6, "from": sender, "text": "hi"}}

    def action() -> None:
        with current_update.handling(update):
            log.info("typed %s", "ΠΑΠΑΔΌΠΟΥΛΟΣ said")

    (entry,) = logged(action)
    assert entry["message"] == "typed [redacted] said"


def test_outside_an_update_nothing_is_redacted_but_numbers() -> None:
    (entry,) = logged(lambda: log.info("migrating table %s", "reporter"))
    assert entry["message"] == "migrating table reporter"


# --- what would go around the formatter ---------------------------------------------------


def test_a_warning_becomes_one_json_line_of_its_first_line() -> None:
    def action() -> None:
        warnings.warn(
            f"Detected unknown update type.\nUpdate: {json.dumps(UPDATE)}",
            RuntimeWarning,
            stacklevel=1,
        )

    (entry,) = logged(action)
    assert entry["logger"] == "py.warnings"
    assert entry["message"].endswith("RuntimeWarning: Detected unknown update type.")


def test_library_messages_keep_their_first_line_and_describe_exceptions() -> None:
    from aiogram.types import Update

    update = Update.model_validate(UPDATE)

    def action() -> None:
        error = ValueError(NAME)
        logging.getLogger("aiogram.event").error(
            "Cause exception while process update id=%d by bot id=%d\n%s: %s",
            update.update_id,
            1,
            error.__class__.__name__,
            error,
        )
        logging.getLogger("aiogram.dispatcher").error("Failed to handle %s", update)
        logging.getLogger("sqlalchemy.pool.impl.AsyncAdaptedQueuePool").error(
            "Exception during reset or similar", exc_info=KeyError(PHONE)
        )

    aiogram_event, dispatcher, pool = logged(action)
    assert aiogram_event["message"] == "Cause exception while process update id=77 by bot id=1"
    assert dispatcher["message"] == "Failed to handle <Update>"
    assert pool["error"] == "KeyError: (message withheld: it holds the data that failed)"


async def test_a_task_exception_never_retrieved_is_logged_without_its_text() -> None:
    async def fails() -> None:
        raise ValueError(f"no reply for {NAME} at {PHONE}")

    with bot_logs() as stream:
        task = asyncio.ensure_future(fails())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        del task
        gc.collect()
    output = stream.getvalue()
    assert_none_of(output, SECRETS)
    (entry,) = json_lines(output)
    assert entry["logger"] == "asyncio" and entry["message"] == "Task exception was never retrieved"
    # The second line, the task's repr, would have shown the exception's text.
    assert entry["error"].endswith("ValueError: (message withheld: it holds the data that failed)")


def test_uncaught_exceptions_in_the_main_thread_and_in_threads_are_logged() -> None:
    def action() -> None:
        try:
            raise KeyError(NAME)
        except KeyError:
            sys.excepthook(*sys.exc_info())  # type: ignore[arg-type]
        worker = threading.Thread(target=lambda: {}[PHONE], name="worker")
        worker.start()
        worker.join()

    main, thread = logged(action)
    assert main["message"] == "uncaught exception" and "KeyError" in main["error"]
    assert thread["message"] == "uncaught exception in a thread" and thread["in_thread"] == "worker"


def test_a_record_that_cannot_be_formatted_is_still_one_json_line() -> None:
    (wrong_arguments, unprintable) = logged(
        lambda: (
            log.info("%d updates from %s", NAME, USERNAME),
            log.info(type("Unprintable", (), {"__str__": lambda self: 1 / 0})()),
        )
    )
    assert wrong_arguments["message"] == "%d updates from %s"
    assert unprintable["message"] == "log record could not be formatted"
