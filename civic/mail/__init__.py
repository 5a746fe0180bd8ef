"""Outgoing mail: every message is kept in the outbox table; sent over SMTP when CIVIC_MAIL_SERVER is set."""
