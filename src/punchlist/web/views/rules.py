"""The rules behind the findings and the score, in plain words: where every "why?" link leads."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from punchlist.core.rules import RULES


@login_required
@require_GET
def rules(request):
    return render(request, "web/rules.html", {"rules": RULES.values()})


site_patterns = [
    path("rules/", rules, name="rules"),
]
