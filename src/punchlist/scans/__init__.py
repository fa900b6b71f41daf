"""Scanners' findings kept from scan to scan: which weakness was found on which host, when first and last, and
by which scan, so that the next scan updates the same POA&M items, puts fixed ones forward for closure and
reopens those whose finding comes back. The organization's remediation policy sets the due dates."""
