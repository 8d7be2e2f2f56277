"""What a reporter is told when an answer or a file cannot be accepted."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _

from bot.services.report_fields import FieldRejected


def field_rejection(error: FieldRejected) -> str:
    if error.reason == "too_long":
        return _(
            "That is too long: {length} characters, at most {maximum} allowed. "
            "Please shorten it and send it again."
        ).format(**error.details)
    if error.reason == "too_short":
        return _(
            "That is too short: {length} characters, at least {minimum} needed. "
            "Please add more detail."
        ).format(**error.details)
    if error.reason == "bad_nip":
        return _(
            "A NIP has exactly 18 digits, starting with the birth date "
            "(for example 198503122010011002). Please check it, or press Skip."
        )
    if error.reason == "bad_phone":
        return _(
            "That does not look like a phone number. Type it like 0812 3456 7890 or "
            "+62 812 3456 7890, or use the Share my number button."
        )
    return _("Please type an answer in words.")


def evidence_rejection(reason: str) -> str:
    messages = {
        "too_large": _(
            "That file is larger than 20 MB, the most Telegram lets bots receive. "
            "Please send a smaller file or a screenshot."
        ),
        "empty": _("That file is empty. Please send it again."),
        "unsupported_type": _(
            "That file type is not accepted. Please send a photo, a "
            "screenshot (JPEG, PNG, WEBP, HEIC), a PDF or a video."
        ),
        "corrupt_image": _("That image is damaged and cannot be opened. Please send it again."),
        "image_too_big": _(
            "That image is too large to process. Please send a smaller one or a screenshot."
        ),
        "bad_dimensions": _(
            "That image has unusual dimensions and cannot be accepted. "
            "Please send a normal photo or screenshot."
        ),
        "animated": _("Animated images are not accepted. Please send a still image or a video."),
        "cannot_clean": _(
            "That file could not be opened to remove the hidden data in it (location, "
            "device, author), so it was not accepted. If it is a password-protected PDF, "
            "remove the password; otherwise send it again, or send a screenshot or photo "
            "of it instead."
        ),
        "duplicate": _("You already attached this file."),
        "limit": _("You have attached the maximum of {count} files. Press Done to continue."),
        "download_failed": _(
            "The file could not be received from Telegram. Please send it again in a moment."
        ),
        "store_unavailable": _(
            "The evidence could not be saved right now. Your report is kept; "
            "please send the file again in a few minutes."
        ),
    }
    return messages.get(reason, messages["unsupported_type"])
