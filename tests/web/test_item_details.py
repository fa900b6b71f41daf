"""An item's original id and further details (assets, CVEs, vendor, risk, budget, decision needed, comments):
shown on its page and in the register, editable in the item form by its owner, with the change audited."""

from decimal import Decimal

from django.urls import reverse

from punchlist.audit.models import AuditEvent
from punchlist.core.records import Poam, PoamItem as Record
from punchlist.register.imports import import_poam
from punchlist.register.models import PoamItem


def _imported(team):
    record = Record(id="V-12", requirements=["3.1.8"], title="No lockout", weakness="Accounts never lock",
                    remediation="Lockout GPO", primary_owner="Marcus Lee", approval_authority="Priya Lee",
                    assets="DC01\nDC02", cves="CVE-2024-1234", vendor_dependency=True, vendor_product="Windows Server",
                    budget_money=Decimal("1500"), budget_hours=Decimal("12.5"), decision_needed="Buy a PAM tool?",
                    comments="From the 2026 scan")
    import_poam(team.coordinator, team.org, Poam([record]), file="scan.xlsx")
    return PoamItem.objects.get(organization=team.org, external_id="V-12")


def test_the_item_page_and_the_register_show_the_original_id_and_the_details(team, login_as):
    item = _imported(team)
    client = login_as(team.viewer)
    page = client.get(reverse("web:item", args=[team.org.slug, item.identifier])).content.decode()
    assert "Original id: <strong>V-12</strong>" in page
    for shown in ("<dt>Assets affected</dt><dd class=\"item-text\">DC01<br>DC02</dd>", "<dt>CVEs</dt>",
                  "<dt>Waits on a vendor</dt><dd class=\"item-text\">Yes</dd>",
                  "<dt>Budget (money)</dt><dd class=\"item-text\">1500</dd>",
                  "<dt>Budget (hours)</dt><dd class=\"item-text\">12.5</dd>", "Buy a PAM tool?",
                  "From the 2026 scan"):
        assert shown in page, shown
    register = client.get(reverse("web:register", args=[team.org.slug])).content.decode()
    assert '<small class="register-original" title="Original id">V-12</small>' in register
    found = client.get(reverse("web:register", args=[team.org.slug]) + "?q=v-12").content.decode()
    assert item.identifier in found


def test_the_owner_edits_the_details_and_only_what_changed_is_saved(team, login_as):
    item = _imported(team)
    client = login_as(team.owner)
    edit_url = reverse("web:item_edit", args=[team.org.slug, item.identifier])
    page = client.get(edit_url).content.decode()
    for name in ("assets", "cves", "vendor_dependency", "budget_money", "budget_hours", "decision_needed",
                 "comments", "status_date", "likelihood", "impact", "residual_risk", "vendor_involvement"):
        assert f'name="{name}"' in page, name
    response = client.post(edit_url, {
        "version": item.version, "title": item.title, "initial-title": item.title,
        "budget_money": "2400.00", "initial-budget_money": "1500.00",
        "vendor_involvement": "The MSP pushes the GPO", "initial-vendor_involvement": "",
        "vendor_dependency": "true", "initial-vendor_dependency": "true",
        "assets": "DC01\nDC02", "initial-assets": "DC01\nDC02"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.budget_money, item.vendor_involvement, item.assets) == (
        Decimal("2400.00"), "The MSP pushes the GPO", "DC01\nDC02")
    event = AuditEvent.objects.filter(organization=team.org, subject=item.identifier, action="update_item").get()
    assert event.before == {"budget_money": "1500", "vendor_involvement": "", "version": 1}
    assert event.after == {"budget_money": "2400", "vendor_involvement": "The MSP pushes the GPO", "version": 2}
    bad = client.post(edit_url, {"version": item.version, "title": item.title, "initial-title": item.title,
                                 "budget_hours": "-3", "initial-budget_hours": "12.5"})
    assert bad.status_code == 400
    item.refresh_from_db()
    assert item.budget_hours == Decimal("12.5")


def test_a_new_item_takes_its_details(team, login_as):
    client = login_as(team.coordinator)
    response = client.post(reverse("web:item_new", args=[team.org.slug]), {
        # 3.5.3 may not be on a POA&M: remediation work of the operational plan of action.
        "requirements": "3.5.3", "title": "No MFA on the VPN", "kind": "operational_plan", "status": "open",
        "decision_needed": "Which MFA vendor", "budget_hours": "40", "vendor_dependency": "unknown"})
    assert response.status_code == 302, response.content.decode()[:2000]
    item = PoamItem.objects.get(organization=team.org, title="No MFA on the VPN")
    assert (item.decision_needed, item.budget_hours, item.vendor_dependency) == ("Which MFA vendor", Decimal("40.0"),
                                                                                None)
