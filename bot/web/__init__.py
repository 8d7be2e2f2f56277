"""The public site beside the bot (`python -m bot web`): the figures, a status look-up by
code and the open data API, read from the database the bot writes. Telegram-free: it uses
bot/services and storage, never bot/handlers or aiogram. Stateless: figures are cached per
process, rate limits kept in Redis when REDIS_URL is set, so several instances can serve."""
