"""(being built)"""

organization_patterns = []
