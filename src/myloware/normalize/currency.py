"""Currencies: symbols, names and codes → ISO 4217 codes.

``RM`` → ``MYR``, ``€`` → ``EUR``, ``£`` → ``GBP``, ``Rs``/``₹`` → ``INR``, ``zł`` → ``PLN``;
a bare ``$`` is ``USD`` unless the caller knows better (``dollar_code``). Codes are checked
against the list of active ISO 4217 codes.
"""

from __future__ import annotations

import re

import pycountry

# Codes that are not money a document is priced in: precious metals, funds, units of account
# and the testing / no-currency codes ISO 4217 lists with the currencies.
_NOT_MONEY = frozenset(
    [
        *"XAG XAU XPD XPT XBA XBB XBC XBD XDR XSU XUA XTS XXX XAD".split(),
        *"BOV CHE CHW CLF COU MXV USN UYI UYW".split(),
    ]
)
# Withdrawn in the last years; invoices issued before the change still carry them.
_RECENTLY_WITHDRAWN = frozenset("ANG BGN HRK SLL ZWL".split())
# The active ISO 4217 codes as pycountry (the Debian iso-codes data) has them.
ISO_4217 = frozenset({c.alpha_3 for c in pycountry.currencies} - _NOT_MONEY | _RECENTLY_WITHDRAWN)

# Symbols and local abbreviations, matched case-insensitively (keys lower-case).
_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "rs": "INR",
    "rs.": "INR",
    "inr": "INR",
    "rm": "MYR",
    "zł": "PLN",
    "zl": "PLN",
    "₩": "KRW",
    "₱": "PHP",
    "₺": "TRY",
    "₽": "RUB",
    "₫": "VND",
    "฿": "THB",
    "r$": "BRL",
    "us$": "USD",
    "usd$": "USD",
    "s$": "SGD",
    "sg$": "SGD",
    "a$": "AUD",
    "au$": "AUD",
    "c$": "CAD",
    "ca$": "CAD",
    "hk$": "HKD",
    "nz$": "NZD",
    "fr.": "CHF",
    "sfr": "CHF",
    "kč": "CZK",
    "ft": "HUF",
}

# Currency names (singular/plural, several languages), lower-case.
_NAMES: dict[str, str] = {
    "euro": "EUR",
    "euros": "EUR",
    "dollar": "USD",
    "dollars": "USD",
    "us dollar": "USD",
    "us dollars": "USD",
    "pound": "GBP",
    "pounds": "GBP",
    "pound sterling": "GBP",
    "sterling": "GBP",
    "ringgit": "MYR",
    "rupee": "INR",
    "rupees": "INR",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "swiss franc": "CHF",
    "swiss francs": "CHF",
    "franken": "CHF",
    "zloty": "PLN",
    "złoty": "PLN",
    "zlotych": "PLN",
    "złotych": "PLN",
}

# Codes recognised inside free text. Rarer codes that are also common words ("ALL", "CUP",
# "PEN", "TOP") would give false hits there; they are still accepted by to_currency_code.
_TEXT_CODES = (
    "EUR|USD|GBP|MYR|INR|PLN|CHF|JPY|CNY|SGD|AUD|CAD|HKD|NZD|SEK|NOK|DKK|CZK|HUF|RON|BRL|MXN"
    "|ZAR|IDR|THB|VND|KRW|TRY|RUB|AED|SAR|ILS"
)

# For finding a currency mention inside longer text.
CURRENCY_TOKEN_RE = re.compile(
    r"(?:US\$|USD\$|S\$|SG\$|A\$|AU\$|C\$|CA\$|HK\$|NZ\$|R\$|[€£¥₹₩₱₺₽₫฿$])"
    rf"|(?<![A-Za-z])(?:RM|Rs\.?|zł|{_TEXT_CODES})(?![A-Za-z])"
)


def to_currency_code(text: str, *, dollar_code: str = "USD") -> str | None:
    """The ISO 4217 code for a symbol, code or name (``"RM"`` → ``"MYR"``), or None."""
    token = " ".join(text.strip().split())
    if not token:
        return None
    upper = token.upper()
    if upper in ISO_4217:
        return upper
    lower = token.lower()
    if lower in ("$", "dollar", "dollars"):
        return dollar_code
    return _SYMBOLS.get(lower) or _NAMES.get(lower)


def find_currency(text: str, *, dollar_code: str = "USD") -> tuple[str, int, int] | None:
    """The first currency symbol or code in ``text``: ``(ISO code, start, end)``, or None."""
    for m in CURRENCY_TOKEN_RE.finditer(text):
        code = to_currency_code(m.group(0), dollar_code=dollar_code)
        if code is not None:
            return code, m.start(), m.end()
    return None


def currency_in_text(text: str, *, dollar_code: str = "USD") -> str | None:
    """The first currency symbol or ISO code mentioned in ``text`` (as an ISO code), or None."""
    found = find_currency(text, dollar_code=dollar_code)
    return found[0] if found else None
