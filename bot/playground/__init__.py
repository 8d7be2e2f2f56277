"""The playground: the bot against a built-in stand-in for the Telegram Bot API, with a web
chat in which one person plays a citizen and the staff (`python -m bot playground`)."""
