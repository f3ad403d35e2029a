"""Line classifiers shared by the invoice heuristics: what kind of line is this?

Words are general vocabulary of business documents (legal forms, address words, labels) in
English, German, French, Dutch, Spanish and Malay; nothing here is taken from a data set's
answers.
"""

from __future__ import annotations

import re

# Legal forms: a name ending in one of these is a company name.
LEGAL_FORM_RE = re.compile(
    r"(?<![A-Za-z])(?:SDN\.?\s*BHD\.?|S/B|BHD\.?|BERHAD|PLT|GMBH|SARL|S\.A\.S?\.?|"
    r"S\.L\.|S\.R\.L\.?|"
    r"B\.V\.?|N\.V\.?|LTD\.?|LIMITED|INC\.?|LLC|LLP|PLC|CORP\.?|CORPORATION|PTY|PVT\.?|PTE|"
    r"&\s*CO\.?|CO\.\s*\(M\)|COMPANY|SP\.?\s?Z\s?O\.?\s?O\.?|SPÓŁKA\s+AKCYJNA|S\.P\.A\.|"
    r"AG|KGAA|KG|OHG|GBR|UG|E\.\s?[KV]\.|A\.\s?G\.|SAS|EURL|SNC|BVBA|VOF|S\.?R\.?L\.?|SPA)"
    r"(?![A-Za-z])",
    re.IGNORECASE,
)
# Words that name a kind of business; weaker evidence of a company name than a legal form.
BUSINESS_WORD_RE = re.compile(
    r"(?<![A-Za-z])(?:ENTERPRISES?|TRADING|TRADERS?|RESTAURANTS?|RESTORAN|CAFE|BAKERY|BAKERIES|"
    r"HARDWARE|STATIONERY|STATIONERS?|MART|MARKET|SUPERMARKET|HYPERMARKET|PASARAYA|"
    r"PHARMACY|STORES?|"
    r"SHOP|KEDAI|PERNIAGAAN|SYARIKAT|HOLDINGS|INDUSTRIES|SERVICES?|MARKETING|FOODS?|BOOKS?|"
    r"ELECTRICAL|HOTEL|KITCHEN|SEAFOOD|GALLERY|CENTRE|CENTER|HOUSE|DECO|AUTO|MOTOR|"
    r"SOLUTIONS|SYSTEMS|TECHNOLOGIES|SOFTWARE|MEDIA|CONSULTING|GROUP|INTERNATIONAL)(?![A-Za-z])",
    re.IGNORECASE,
)
# A word that, starting a line, continues the company name of the line above.
CONTINUATION_RE = re.compile(
    r"^(?:&|\(|\)|SDN\b|BHD\b|S/B\b|CO\.?\s|CO\.?$|COMPANY\b|\(M\)|ENTERPRISES?\b|TRADING\b|"
    r"ELECTRICAL\b|HARDWARE\b|STATIONERY\b|RESTAURANTS?\b|HOLDINGS\b|INDUSTRIES\b|SERVICES\b|"
    r"GMBH\b|LTD\b|LIMITED\b|INC\b)",
    re.IGNORECASE,
)

# A registration / company number on its own (``789417-W``, ``(CO. NO. 113825-W)``).
REG_NUMBER_RE = re.compile(
    r"\(?\s*(?:(?:CO(?:MPANY)?\.?\s*(?:REG(?:ISTRATION)?\.?\s*)?NO\.?|ROC|BRN|BR\s*NO\.?|"
    r"REG\.?\s*NO\.?)"
    r"\s*[:.]?\s*\(?)?\s*[A-Z]{0,3}\d[\d\s]{3,12}[-\s]?[A-Z]\s*\)?",
    re.IGNORECASE,
)
# (?<!\s): from a run of spaces' start only; a bracket's content is checked by a lookahead
# and then taken whole (possessive), so a bracket that never closes, or closes before more
# text, is given up at once (either way a long line was read in quadratic time)
TRAILING_REG_RE = re.compile(
    r"(?<!\s)\s*(?:\((?=[^()]*\d{4})[^()]*+\)|(?:CO\.?\s*)?(?:REG\.?\s*)?NO\.?\s*[:.]?\s*\d{4,}[-\s]?[A-Z]?|"
    r"(?<![A-Za-z\d])\d{5,}[-.]?\s?[A-Z](?:\.?[A-Z])?\)?)[\s,.;:]*$",  # "(" lost: "519537-X)"
    re.IGNORECASE,
)
# Where a registration number starts inside a name line (everything after it is dropped);
# a bracket read as above.
REG_INSIDE_RE = re.compile(
    r"\s*(?:\((?=[^()]*\d{4})[^()]*+\)|(?<![\w-])\d{5,}-?\s?[A-Z]\b)", re.IGNORECASE
)
REG_LABEL_RE = re.compile(
    r"^\W*(?:CO(?:MPANY)?\.?\s*(?:REG|NO\b|#)|BR\s*NO|ROC\b|BRN\b|REG(?:ISTRATION)?\.?\s*(?:NO|#))",
    re.IGNORECASE,
)
TAX_ID_LINE_RE = re.compile(
    r"(?<![A-Za-z])(?:GST|SST|VAT|TVA|BTW|MWST|UST|USt|NIP|GSTIN|TIN|TAX|ABN|STEUER|SIRET|SIREN|"
    r"UID|CIF|NIF)(?![A-Za-z])",
    re.IGNORECASE,
)
CONTACT_RE = re.compile(
    r"(?<![A-Za-z])(?:TEL|TELE?PHONE|PHONE|PH|FAX|TELEFAX|TELEFON|TÉL|H/?P|HP|MOBILE|"
    r"MOB|E-?MAIL|WEB|"
    r"WEBSITE|URL|HOTLINE|WHATSAPP|CARELINE)(?![A-Za-z])|@|www\.|https?://|\+\d{2}|"
    r"(?<![A-Za-z])[TF]\s?:\s?\+?\(?\d",
    re.IGNORECASE,
)
TITLE_RE = re.compile(
    r"^\W*(?:(?:SIMPLIFIED\s+|FULL\s+|OFFICIAL\s+)?(?:TAX\s+)?(?:INVOICE|RECEIPT|"
    r"BILL)S?|CASH\s*(?:SALES?|BILL|RECEIPT)|"
    r"CREDIT\s+NOTE|QUOTATION|RECHNUNG|QUITTUNG|KASSENBON|FACTURE|FACTUUR|FACTURA|BON|TICKET|"
    r"INVOICE\s*/\s*RECEIPT|TAX\s+INVOICE\s*/\s*RECEIPT|PAYMENT\s+RECEIPT|SALES\s+ORDER)\W*$",
    re.IGNORECASE,
)
FOOTER_RE = re.compile(
    r"THANK|WELCOME|GOODS\s+SOLD|PLEASE|COME\s+AGAIN|VISIT\s+US|NOT\s+RETURNABLE|EXCHANGEABLE",
    re.IGNORECASE,
)
ADDRESS_WORD_RE = re.compile(
    r"(?<![A-Za-z])(?:JALAN|JLN|JL|TAMAN|TMN|LOT|LORONG|LRG|BANDAR|KAMPUNG|KG|PERSIARAN|SEKSYEN|"
    r"BLOK|BLK|BLOCK|LEVEL|FLOOR|FLR|TINGKAT|WISMA|MENARA|[KC]OMPLEKS|PLAZA|MALL|PUSAT|KAWASAN|"
    r"PERINDUSTRIAN|SELANGOR|JOHOR|KUALA\s+LUMPUR|PERAK|PAHANG|KEDAH|MELAKA|"
    r"PENANG|PULAU\s+PINANG|SABAH|SARAWAK|NEGERI\s+SEMBILAN|KELANTAN|TERENGGANU|PERLIS|PUTRAJAYA|"
    r"MALAYSIA|DARUL|DATARAN|MEDAN|LEBUHRAYA|SIMPANG|TOWER|STREET|ST|ROAD|RD|AVENUE|"
    r"AVE|LANE|DRIVE|DR|SUITE|BUILDING|UNIT|HIGHWAY|"
    r"STRASSE|STRAßE|STR|PLATZ|WEG|ALLEE|RUE|AVENUE|BOULEVARD|BD|STRAAT|LAAN|PLEIN|CALLE|"
    r"GERMANY|DEUTSCHLAND|FRANCE|NEDERLAND|NETHERLANDS|USA|UNITED\s+STATES|UNITED\s+KINGDOM|"
    r"AUSTRIA|SWITZERLAND|BELGIUM|CANADA|AUSTRALIA|INDIA|POLAND|ISRAEL|SINGAPORE)(?![A-Za-z])",
    re.IGNORECASE,
)
# the address words of five letters or more that OCR repair may spell right (one letter off)
PLACE_WORDS = (
    "JALAN", "TAMAN", "LORONG", "BANDAR", "KAMPUNG", "PERSIARAN", "SEKSYEN", "TINGKAT",
    "KOMPLEKS", "KAWASAN", "PERINDUSTRIAN", "INDUSTRIAL", "SELANGOR", "JOHOR", "KUALA",
    "LUMPUR", "PAHANG", "KEDAH", "MELAKA", "PENANG", "PULAU", "PINANG", "SABAH",
    "SARAWAK", "NEGERI", "SEMBILAN", "KELANTAN", "TERENGGANU", "PERLIS", "PUTRAJAYA",
    "MALAYSIA", "DARUL", "EHSAN", "DATARAN", "LEBUHRAYA", "SIMPANG", "TOWER", "STREET",
    "AVENUE", "BUILDING", "HIGHWAY", "FLOOR", "LEVEL", "PLAZA", "WISMA", "MENARA",
)  # fmt: skip
# German-style compound street names with a house number: "Hauptstraße 5", "Pfälzer Ufer 4".
COMPOUND_STREET_RE = re.compile(
    r"(?<![A-Za-zÄÖÜäöüß])[A-Za-zÄÖÜäöüß]{0,30}"
    r"(?:STRASSE|STRAßE|STR\.|WEG|PLATZ|ALLEE|GASSE|UFER|DAMM|STRAAT|LAAN|GRACHT)\s*\d+",
    re.IGNORECASE,
)
POSTCODE_RE = re.compile(
    r"(?<![\d-])(?:\d{5}|\d{4}\s?[A-Z]{2}|\d{2}-\d{3}|[A-Z]\d[A-Z]\s?\d[A-Z]\d)(?![\d-])"
)
# A street or unit number opening an address line: "NO.53", "LOT 6,", "A-G-06,", "4-20,".
STREET_NUMBER_RE = re.compile(
    r"^(?:(?:NO|LOT|UNIT|BLK|BLOCK|SUITE)\b\s*[.:,]?\s*)?(?=[A-Z0-9-]*\d)[A-Z0-9]{1,6}(?:-+[A-Z0-9]{1,6}){0,3}\b",
    re.IGNORECASE,
)
# Labels of receipt data that end an address: "DOCUMENT NO :", "CASHIER", "PAY BY : CASH".
LABEL_RE = re.compile(
    r"(?<![A-Za-z])(?!(?:LOT|UNIT|JALAN|JLN|HOUSE|ROOM|SHOP|BLOCK|BLK|LEVEL)\b)[A-Z]{2,}\.?\s+(?:NO|"
    r"NUMBER)\b\.?|"
    r"(?<![A-Za-z])(?:CASHIER|TABLE|ORDER|SERVER|TERMINAL|COUNTER|SALESPERSON|MEMBER|"
    r"REF|SLIP|TRANS|"
    r"CHECK|QUEUE|OPERATOR|STAFF|SERVED)\b|^[A-Z][A-Z /]{1,25}\s:\s",
    re.IGNORECASE,
)
TABLE_HEADER_RE = re.compile(
    r"(?<![A-Za-z])(?:QTY|QUANTITY|DESCRIPTION|DESC|ITEMS?|PRICE|U/?P|AMOUNT|AMT|MENGE|BEZEICHNUNG|"
    r"ANZAHL|PREIS|DÉSIGNATION|DESIGNATION|OMSCHRIJVING|HOEVEELHEID|ARTIKEL)(?![A-Za-z])",
    re.IGNORECASE,
)


def letters(text: str) -> int:
    """How many letters ``text`` has."""
    return sum(1 for ch in text if ch.isalpha())


def digits(text: str) -> int:
    """How many digits ``text`` has."""
    return sum(1 for ch in text if ch.isdigit())


def strip_registration(text: str) -> str:
    """``text`` without a trailing registration number (``99 SPEED MART S/B (519537-X)``)."""
    stripped = TRAILING_REG_RE.sub("", text).strip()
    return stripped or text.strip()


def is_registration_line(text: str) -> bool:
    """A line that is only a company/registration number."""
    return REG_NUMBER_RE.fullmatch(text.strip()) is not None


def is_name_like(text: str) -> bool:
    """Mostly letters, few digits: could be (part of) a name."""
    body = strip_registration(text)
    n_letters = letters(body)
    n_digits = digits(body)
    if n_letters < 2 or n_digits > max(2, n_letters // 3):
        return False
    visible = sum(1 for ch in body if not ch.isspace())
    return n_letters / max(visible, 1) >= 0.55


def is_address_like(text: str) -> bool:
    """Looks like a postal address line: address words, a postcode or a street number.

    A line with a legal form (``SDN BHD``, ``GmbH``), or a business word and no digits, is a
    name even when it contains a place word (``BOOK TA .K (TAMAN DAYA) SDN BHD``).
    """
    has_place = any(rx.search(text) for rx in (ADDRESS_WORD_RE, POSTCODE_RE, COMPOUND_STREET_RE))
    if LEGAL_FORM_RE.search(text) or (
        BUSINESS_WORD_RE.search(text) and (digits(text) == 0 or not has_place)
    ):
        return False
    if has_place:
        return True
    number = STREET_NUMBER_RE.match(text.strip())
    if number is None:
        return False
    return letters(text) >= 3 or number.group(0)[:1].upper() in ("N", "L", "U", "B", "S")
