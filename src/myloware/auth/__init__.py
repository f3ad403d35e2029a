"""Authentication and authorisation: principals, capabilities, JWTs and API keys."""

from myloware.auth.principal import CAPABILITIES, Capability, Principal
from myloware.auth.tokens import decode_token, issue_token

__all__ = ["CAPABILITIES", "Capability", "Principal", "decode_token", "issue_token"]
