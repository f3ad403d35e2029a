"""Documents arriving by e-mail: an SMTP listener in the API process (see docs/email.md)."""
