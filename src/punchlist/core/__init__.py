"""The rules, pure Python: no Django, no files. The CLI and the web app both stand on this package."""
