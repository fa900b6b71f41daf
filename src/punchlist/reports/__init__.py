"""Reports: the leadership, security and operations views, the monthly management review pack and
the readiness report (HTML and PDF, WeasyPrint), and the assessor package (one zip)."""
