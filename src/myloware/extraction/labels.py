"""The labels of invoices in the languages of their senders, one entry per concept.

Each concept lists its labels per language side by side (English, German, French, Dutch,
Spanish, Italian); the heuristics ask for a concept's compiled pattern, never for a language.
Labels are written as regular-expression fragments: a space matches any run of whitespace
(or none), ``.`` is a literal dot that may be missing, and accents may be missing too
(``Fälligkeit`` also reads ``Falligkeit``). Nothing here is taken from a data set's answers.
"""

from __future__ import annotations

import re
from functools import cache

# fmt: off
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    # The document's own title (a line that names the kind of document).
    "document_title": {
        "en": ("invoice", "tax invoice", "credit note", "commercial invoice", "bill"),
        "de": ("rechnung", "handelsrechnung", "schlussrechnung", "teilrechnung",
               "rechnungskorrektur", "gutschrift", "kostenrechnung", "abschlagsrechnung"),
        "fr": ("facture", "avoir", "facture d'acompte"),
        "nl": ("factuur", "creditnota"),
        "es": ("factura", "factura rectificativa", "abono"),
        "it": ("fattura", "nota di credito"),
    },
    "invoice_number": {
        "en": ("invoice no.", "invoice number", "invoice #", "invoice nr.", "invoice id",
               "bill no."),
        "de": ("rechnungsnummer", "rechnungs-nr.", "rechnung nr.", "rechnungsnr.", "beleg-nr.",
               "belegnummer", "gutschriftsnummer"),
        "fr": ("facture n°", "n° de facture", "numéro de facture", "n° facture", "avoir n°"),
        "nl": ("factuurnummer", "factuur nr.", "factuurnr."),
        "es": ("número de factura", "nº de factura", "factura nº", "n.º factura"),
        "it": ("numero fattura", "fattura n.", "n. fattura", "numero documento"),
    },
    "invoice_date": {
        "en": ("invoice date", "date of issue", "issue date", "date issued", "bill date"),
        "de": ("rechnungsdatum", "belegdatum", "beleg-datum", "ausstellungsdatum",
               "rechnungs-datum"),
        "fr": ("date de facture", "date de la facture", "date d'émission", "date facture"),
        "nl": ("factuurdatum", "datum factuur"),
        "es": ("fecha de factura", "fecha de emisión", "fecha factura", "fecha de expedición"),
        "it": ("data fattura", "data di emissione", "data documento"),
    },
    "due_date": {
        "en": ("due date", "payment due", "due on", "due by", "pay by"),
        "de": ("fälligkeitsdatum", "fälligkeit", "fällig am", "fällig bis", "zahlbar bis",
               "zahlungsziel", "bis zum"),
        "fr": ("date d'échéance", "échéance", "à payer avant le", "date limite de paiement"),
        "nl": ("vervaldatum", "te betalen voor", "uiterste betaaldatum"),
        "es": ("fecha de vencimiento", "vencimiento", "fecha límite de pago"),
        "it": ("data di scadenza", "scadenza", "da pagare entro"),
    },
    # Dates that are not the issue date (service period, delivery, order, payment).
    "other_date": {
        "en": ("delivery date", "service date", "order date", "payment date", "period",
               "ship date"),
        "de": ("leistungsdatum", "lieferdatum", "liefer- und leistungsdatum", "leistungszeitraum",
               "abrechnungszeitraum", "bestelldatum", "auftragsdatum", "vertragsdatum",
               "lieferschein-datum"),
        "fr": ("date de livraison", "date de prestation", "date de commande",
               "date de paiement"),
        "nl": ("leverdatum", "leveringsdatum", "besteldatum"),
        "es": ("fecha de entrega", "fecha de servicio", "fecha de pedido"),
        "it": ("data di consegna", "data ordine", "data del servizio"),
    },
    "seller": {
        "en": ("seller", "vendor", "supplier", "issuer", "from", "invoice from",
               "billed by"),
        "de": ("verkäufer", "lieferant", "rechnungsersteller", "rechnungssteller",
               "leistungserbringer", "auftragnehmer", "absender"),
        "fr": ("vendeur", "fournisseur", "émetteur", "prestataire"),
        "nl": ("verkoper", "leverancier", "afzender"),
        "es": ("vendedor", "proveedor", "emisor"),
        "it": ("venditore", "fornitore", "cedente", "cedente/prestatore", "prestatore"),
    },
    "buyer": {
        "en": ("buyer", "customer", "client", "bill to", "billed to", "invoice to", "sold to",
               "invoiced to", "recipient"),
        "de": ("käufer", "kunde", "rechnungsempfänger", "leistungsempfänger", "auftraggeber",
               "rechnungsadresse", "empfänger"),
        "fr": ("acheteur", "client", "destinataire", "facturé à", "adresse de facturation"),
        "nl": ("koper", "klant", "factuuradres", "afnemer"),
        "es": ("comprador", "cliente", "facturar a", "destinatario"),
        "it": ("acquirente", "cliente", "committente", "cessionario",
               "cessionario/committente", "destinatario"),
    },
    # Other parties on an invoice: their blocks are neither the seller's nor the buyer's.
    "other_party": {
        "en": ("ship to", "deliver to", "delivery address", "shipping address", "payee"),
        "de": ("warenempfänger", "lieferadresse", "lieferanschrift", "abweichender warenempfänger",
               "abweichender zahlungsempfänger", "zahlungsempfänger"),
        "fr": ("adresse de livraison", "livré à", "livrer à"),
        "nl": ("afleveradres", "leveradres"),
        "es": ("dirección de entrega", "dirección de envío", "enviar a"),
        "it": ("indirizzo di consegna", "destinazione merce", "luogo di consegna"),
    },
    "net_total": {
        "en": ("subtotal", "sub total", "net total", "net amount", "total net", "total excl. vat",
               "total excluding tax", "total before tax", "amount excl. vat", "total w/o tax"),
        "de": ("nettobetrag", "summe netto", "netto summe", "nettosumme", "gesamtnetto",
               "gesamtbetrag netto", "rechnungssumme ohne ust.", "rechnungssumme netto",
               "zwischensumme", "warenwert netto", "summe ohne ust."),
        "fr": ("montant ht", "total ht", "sous-total", "total hors taxes", "net ht"),
        "nl": ("subtotaal", "totaal excl. btw", "netto bedrag", "totaal exclusief btw",
               "grondslag"),
        "es": ("base imponible", "subtotal", "importe neto", "total sin iva"),
        "it": ("imponibile", "totale imponibile", "subtotale", "totale netto"),
    },
    "tax_amount": {
        "en": ("tax total", "total tax", "vat amount", "tax amount", "total vat", "sales tax"),
        "de": ("steuerbetrag", "umsatzsteuer", "mehrwertsteuer", "ust.-betrag", "mwst.-betrag",
               "ust. gesamt", "mwst. gesamt", "zzgl. ust.", "zuzügl. ust.", "zzgl. mwst.",
               "summe ust.", "summe mwst."),
        "fr": ("montant tva", "total tva", "total taxes", "tva"),
        "nl": ("btw bedrag", "totaal btw", "btw"),
        "es": ("cuota iva", "importe iva", "total iva", "iva"),
        "it": ("totale iva", "importo iva", "imposta", "iva"),
    },
    "gross_total": {
        "en": ("grand total", "invoice total", "total incl. vat", "total including tax",
               "gross total"),
        "de": ("bruttosumme", "summe brutto", "gesamtbetrag", "gesamtbetrag brutto",
               "rechnungsbetrag", "rechnungssumme brutto", "endbetrag",
               "gesamtsumme", "summe inkl. ust.", "summe inkl. mwst.", "bruttobetrag"),
        "fr": ("total ttc", "montant ttc", "montant total", "total facture"),
        "nl": ("totaal incl. btw", "factuurtotaal", "totaalbedrag"),
        "es": ("total factura", "importe total", "total a pagar"),
        "it": ("totale fattura", "totale documento", "importo totale"),
    },
    # What remains to pay (after prepayments): the total only when nothing else is printed.
    "amount_due": {
        "en": ("amount due", "balance due", "total due", "amount payable", "to pay"),
        "de": ("zahlbetrag", "zu zahlen", "zahlbarer betrag", "offener betrag"),
        "fr": ("net à payer", "reste à payer", "montant à payer"),
        "nl": ("te betalen", "openstaand bedrag"),
        "es": ("importe a pagar", "a pagar"),
        "it": ("netto a pagare", "da pagare", "importo da pagare"),
    },
    # A purchase order: the buyer's order number the invoice refers to.
    "po_number": {
        "en": ("po number", "po no.", "p.o. no.", "po #", "p.o. #", "purchase order",
               "purchase order no.", "purchase order number", "your order", "your order no.",
               "buyer order reference"),
        "de": ("bestellnummer", "bestell-nr.", "bestellnr.", "bestellung nr.", "bestellung",
               "auftragsnummer", "auftrags-nr.", "ihre bestellung", "ihre bestellnummer"),
        "fr": ("bon de commande", "n° de commande", "numéro de commande", "commande n°",
               "votre commande", "réf. commande"),
        "nl": ("inkoopordernummer", "inkooporder", "ordernummer", "bestelnummer", "uw order",
               "uw bestelling"),
        "es": ("pedido", "número de pedido", "nº de pedido", "pedido nº", "orden de compra",
               "su pedido"),
        "it": ("ordine", "numero ordine", "n. ordine", "ordine n.", "ordine d'acquisto",
               "vostro ordine"),
    },
    "payment_terms": {
        "en": ("payment terms", "terms of payment", "terms", "payment conditions"),
        "de": ("zahlungsbedingungen", "zahlungsbedingung", "zahlungskonditionen",
               "zahlungsziel"),
        "fr": ("conditions de paiement", "conditions de règlement", "modalités de paiement",
               "conditions de payement"),
        "nl": ("betalingsvoorwaarden", "betalingstermijn", "betalingsconditie",
               "betalingscondities"),
        "es": ("condiciones de pago", "forma de pago", "términos de pago", "plazo de pago"),
        "it": ("condizioni di pagamento", "termini di pagamento", "modalità di pagamento"),
    },
    "iban": {
        "en": ("iban", "iban no.", "iban number"),
        "de": ("iban-nr.",),
        "fr": ("n° iban",),
        "nl": ("iban-nummer",),
        "es": ("número iban",),
        "it": ("codice iban", "coordinate iban"),
    },
    "bic": {
        "en": ("bic", "swift", "bic/swift", "swift/bic", "swift code", "bic code", "swift bic"),
        "de": ("bic-code",),
        "fr": ("code bic", "code swift"),
        "nl": ("bic-code",),
        "es": ("código bic", "código swift"),
        "it": ("codice bic", "codice swift"),
    },
    # Whose tax id: words that make a tax-id label the buyer's ("Ihre USt-IdNr.").
    "buyer_tax_id": {
        "en": ("customer vat", "buyer vat", "your vat", "client vat", "customer tax id",
               "buyer tax id", "vat id of the recipient"),
        "de": ("ihre ust-idnr.", "ihre ust.-id.-nr.", "ihre ust-id", "ust-idnr. des kunden",
               "ust-id des kunden", "ust-idnr. kunde", "kunden-ust-idnr.",
               "ust-idnr. des leistungsempfängers"),
        "fr": ("tva client", "n° tva client", "tva intracommunautaire client",
               "votre n° tva"),
        "nl": ("btw-nummer klant", "btw nr. klant", "uw btw-nummer"),
        "es": ("nif del cliente", "cif del cliente", "nif cliente", "cif cliente"),
        "it": ("p. iva cliente", "partita iva cliente", "p.iva cliente"),
    },
    "currency": {
        "en": ("currency",),
        "de": ("währung", "rechnungswährung"),
        "fr": ("devise", "monnaie"),
        "nl": ("valuta",),
        "es": ("moneda", "divisa"),
        "it": ("valuta",),
    },
    # A discount for early payment: a date it names is its deadline, not the due date.
    "cash_discount": {
        "en": ("cash discount", "early payment discount", "discount"),
        "de": ("skonto", "skontoabzug"),
        "fr": ("escompte",),
        "nl": ("betalingskorting", "korting"),
        "es": ("descuento por pronto pago", "descuento"),
        "it": ("sconto",),
    },
    # Headings of the tables that follow the line items: the VAT breakdown, the document's
    # allowances and charges.
    "tax_summary": {
        "en": ("vat summary", "tax summary", "vat breakdown", "tax breakdown", "vat analysis"),
        "de": ("umsatzsteueraufschlüsselung", "steueraufschlüsselung", "ust.-aufschlüsselung",
               "mwst.-aufschlüsselung", "mehrwertsteueraufschlüsselung"),
        "fr": ("récapitulatif tva", "récapitulatif des taxes", "détail tva", "ventilation tva"),
        "nl": ("btw-overzicht", "btw-specificatie"),
        "es": ("desglose de iva", "desglose iva", "resumen de iva"),
        "it": ("riepilogo iva", "castelletto iva", "riepilogo aliquote"),
    },
    "allowances_charges": {
        "en": ("allowances and charges", "charges and allowances", "discounts and charges"),
        "de": ("zu- und abschläge", "ab- und zuschläge", "rabatte und zuschläge"),
        "fr": ("remises et frais", "remises et majorations"),
        "nl": ("kortingen en toeslagen",),
        "es": ("descuentos y cargos", "descuentos y recargos"),
        "it": ("sconti e maggiorazioni",),
    },
    # Column headers of the line-item table.
    "col_description": {
        "en": ("description", "item", "items", "product", "service", "article", "item name"),
        "de": ("beschreibung", "bezeichnung", "artikelbeschreibung", "artikelbezeichnung",
               "artikel", "produkt", "leistung", "position"),
        "fr": ("description", "désignation", "libellé", "article", "produit"),
        "nl": ("omschrijving", "beschrijving", "artikel", "product"),
        "es": ("descripción", "concepto", "artículo", "producto"),
        "it": ("descrizione", "articolo", "prodotto"),
    },
    "col_quantity": {
        "en": ("qty", "quantity", "qty.", "units", "hours"),
        "de": ("menge", "anzahl", "stück", "stk."),
        "fr": ("quantité", "qté"),
        "nl": ("aantal", "hoeveelheid"),
        "es": ("cantidad", "cant.", "uds."),
        "it": ("quantità", "qtà", "q.tà"),
    },
    "col_unit_price": {
        "en": ("unit price", "price", "rate", "unit cost", "price/unit", "unit net price"),
        "de": ("einzelpreis", "nettopreis", "preis", "stückpreis", "e-preis", "preis/einheit"),
        "fr": ("prix unitaire", "prix unit.", "p.u.", "pu ht", "prix"),
        "nl": ("prijs", "stukprijs", "eenheidsprijs"),
        "es": ("precio unitario", "precio", "p. unit."),
        "it": ("prezzo unitario", "prezzo", "prezzo unit."),
    },
    "col_amount": {
        "en": ("amount", "total", "line total", "net amount", "price w/o tax", "gross value"),
        "de": ("betrag", "gesamtbetrag", "gesamtpreis", "nettobetrag", "nettowert", "summe",
               "entgelt", "gesamt"),
        "fr": ("montant", "total", "prix ht", "montant ht"),
        "nl": ("bedrag", "totaal"),
        "es": ("importe", "total"),
        "it": ("importo", "totale"),
    },
}
# fmt: on

_ACCENTS = {
    "ä": "äa",
    "ö": "öo",
    "ü": "üu",
    "é": "ée",
    "è": "èe",
    "à": "àa",
    "í": "íi",
    "ó": "óo",
    "ú": "úu",
    "ñ": "ñn",
    "ç": "çc",
    "ê": "êe",
}


def _fragment(label: str) -> str:
    """A regex for one label: flexible whitespace, optional dots, optional accents."""
    out: list[str] = []
    for ch in label:
        if ch == " ":
            out.append(r"\s*")
        elif ch == ".":
            out.append(r"\.?")
        elif ch in ("-", "/"):
            out.append(rf"\s*{re.escape(ch)}?\s*")
        elif ch in _ACCENTS:
            out.append(f"[{_ACCENTS[ch]}]")
        elif ch in ("'", "’"):
            out.append("['’]?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def words(concept: str) -> tuple[str, ...]:
    """Every label of ``concept`` in every language, longest first, without duplicates."""
    seen = {label for labels in LABELS[concept].values() for label in labels}
    return tuple(sorted(seen, key=len, reverse=True))


@cache
def _label_words() -> frozenset[str]:
    """Every word of every label, lower-case, without its dots and hyphens at the ends."""
    return frozenset(
        word.strip(".:-/'")
        for langs in LABELS.values()
        for group in langs.values()
        for label in group
        for word in label.split()
    )


def is_label_word(word: str) -> bool:
    """Whether ``word`` (lower-case) is one word of a label (``bruttosumme``, ``käufer``)."""
    return word in _label_words()


@cache
def alternation(*concepts: str) -> str:
    """One regex alternation (no anchors) of every label of ``concepts``, longest first."""
    labels = sorted({w for c in concepts for w in words(c)}, key=len, reverse=True)
    return "|".join(_fragment(label) for label in labels)


@cache
def label_re(*concepts: str) -> re.Pattern[str]:
    """A case-insensitive pattern that finds a label of ``concepts`` as whole words."""
    return re.compile(rf"(?<![^\W\d_])(?:{alternation(*concepts)})(?![^\W\d_])", re.IGNORECASE)


@cache
def whole_label_re(*concepts: str) -> re.Pattern[str]:
    """A pattern matching text that is only a label of ``concepts`` (an optional colon after)."""
    return re.compile(rf"\s*(?:{alternation(*concepts)})\s*:?\s*", re.IGNORECASE)
