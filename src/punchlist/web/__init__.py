"""The browser front end: server-rendered pages with htmx over the register's querysets and services."""
