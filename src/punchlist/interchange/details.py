"""The fields of an item beyond the plan itself: what a FedRAMP or eMASS file says about assets, CVEs, the vendor,
the risk left, the cost and the decision to take, and the item's id in the file it first came from.

They are read, kept and written back so that nothing of a file is lost on its way through Punchlist. Each has
its header names (best first, as ``columns`` lists them), a parser of one cell, and a label.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .values import CellError, key, parse_date, text

DETAIL_COLUMNS: dict[str, tuple[str, ...]] = {
    "original_id": ("Original ID", "Original POA&M ID", "Original POAM ID", "Source POA&M ID", "External ID"),
    "assets": ("Assets Affected", "Asset Identifier", "Devices Affected", "Affected Assets", "Assets",
               "Asset", "Affected Systems", "Systems Affected", "Affected Hosts", "Hosts", "Asset Identifiers"),
    "cves": ("CVE", "CVEs", "CVE ID", "CVE IDs", "CVE Number"),
    "source_identifier": ("Weakness Source Identifier", "Security Checks", "Source Identifier", "Plugin ID",
                          "Rule ID", "STIG ID", "Vulnerability ID", "Vuln ID", "Check ID"),
    "interim_mitigation": ("Interim Mitigation", "Mitigations",
                           "Mitigations (in-house and in conjunction with the Navy CSSP)", "Compensating Controls",
                           "Compensating Control", "Mitigating Factors", "Temporary Mitigation"),
    "comments": ("Comments", "Comment", "Notes", "Remarks"),
    "likelihood": ("Likelihood", "Likelihood Level", "Likelihood Rating"),
    "impact": ("Impact", "Impact Level", "Impact Rating"),
    "residual_risk": ("Residual Risk", "Residual Risk Level", "Adjusted Risk Rating",
                      "Resulting Residual Risk after Proposed Mitigations", "Adjusted Risk"),
    "risk_adjustment": ("Risk Adjustment",),
    "vendor_dependency": ("Vendor Dependency", "Vendor Dependent", "Vendor Dependency?"),
    "vendor_product": ("Vendor Dependent Product Name", "Vendor Product", "Vendor Product Name"),
    "vendor_check_in": ("Last Vendor Check-in Date", "Vendor Check-in Date", "Last Vendor Check-in"),
    "vendor_involvement": ("Vendor Involvement", "Vendor Role", "Vendor", "MSP Involvement"),
    "budget_money": ("Budget Amount", "Budget (money)", "Cost Amount", "Estimated Cost Amount", "Budget USD",
                     "Cost USD", "Funded Amount", "Non-Personnel Resources Funded Amount"),
    "budget_hours": ("Budget Hours", "Budget (hours)", "Hours", "Estimated Hours", "Labor Hours", "Effort Hours",
                     "Level of Effort Hours", "Funded Base Hours", "Personnel Resources Funded Base Hours"),
    "decision_needed": ("Decision Needed", "Decision Required", "Decisions Needed", "Decision",
                        "Leadership Decision"),
    "touches_cui": ("Touches CUI", "Touches CUI?", "Involves CUI"),
    "blocked_by": ("Blocked By", "Blocked by Items", "Blocked by POA&M Items"),
}

DETAIL_LABELS = {
    "original_id": "Original id",
    "assets": "Assets affected",
    "cves": "CVEs",
    "source_identifier": "Source identifier",
    "interim_mitigation": "Interim mitigation",
    "comments": "Comments",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "residual_risk": "Residual risk",
    "risk_adjustment": "Risk adjustment",
    "vendor_dependency": "Vendor dependency",
    "vendor_product": "Vendor product",
    "vendor_check_in": "Last vendor check-in",
    "vendor_involvement": "Vendor involvement",
    "budget_money": "Budget (money)",
    "budget_hours": "Budget (hours)",
    "decision_needed": "Decision needed",
    "touches_cui": "Touches CUI",
    "blocked_by": "Blocked by",
}

_YES = frozenset(key(word) for word in ("yes", "y", "true", "1", "x", "vendor dependent", "dependent"))
_NO = frozenset(key(word) for word in ("no", "n", "false", "0", "none", "not dependent", "na", "n/a"))


def yes_no(value) -> bool | None:
    """Yes, No (and their usual spellings) or blank; anything else is refused by name."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    written = key(text(value))
    if not written:
        return None
    if written in _YES:
        return True
    if written in _NO:
        return False
    raise CellError(f"{text(value)!r} is not Yes or No")


def id_list(value) -> list[str]:
    """The ids of the items an item waits on: "POAM-AC-001, OPA-SI-002", one per line or split by ";"."""
    if value is None or value == "":
        return []
    written = text(value)
    names: list[str] = []
    for part in written.replace(";", ",").replace("\n", ",").split(","):
        part = part.strip()
        if part and part not in names:
            names.append(part)
    return names


def amount(value) -> Decimal | None:
    """A sum of money or hours: "12,500", "$12,500.00", "40 h", 40.0; blank is None."""
    if value is None or value == "" or isinstance(value, bool):
        return None if not isinstance(value, bool) else _refuse(value)
    if isinstance(value, (int, float)):
        return Decimal(str(value)).normalize() if value == value else _refuse(value)
    written = text(value)
    cleaned = written.replace(",", "").replace("$", "").replace("USD", "").replace("€", "").replace("£", "")
    cleaned = cleaned.strip().removesuffix("hours").removesuffix("hrs").removesuffix("h").strip()
    if not cleaned:
        return None
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return _refuse(written)
    if not number.is_finite() or number < 0:
        return _refuse(written)
    return number.normalize()


def _refuse(value):
    raise CellError(f"{value!r} is not an amount (a number such as 12500 or 12,500.00)")


DETAIL_PARSERS = {
    "original_id": text,
    "assets": text,
    "cves": text,
    "source_identifier": text,
    "interim_mitigation": text,
    "comments": text,
    "likelihood": text,
    "impact": text,
    "residual_risk": text,
    "risk_adjustment": text,
    "vendor_dependency": yes_no,
    "vendor_product": text,
    "vendor_check_in": parse_date,
    "vendor_involvement": text,
    "budget_money": amount,
    "budget_hours": amount,
    "decision_needed": text,
    "touches_cui": yes_no,
    "blocked_by": id_list,
}

DETAIL_FIELDS = tuple(DETAIL_COLUMNS)
TEXT_DETAILS = tuple(name for name, parse in DETAIL_PARSERS.items() if parse is text)


def show_amount(value: Decimal | None) -> str:
    """An amount as people write it: 12500, 12500.5 (never 1.25E+4)."""
    if value is None:
        return ""
    return format(value.normalize(), "f")
