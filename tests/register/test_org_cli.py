"""`punchlist org set-ssp`: the organization's OSCAL SSP, named by an administrator, audited, and then named by
the OSCAL export's import-ssp."""

from punchlist.audit.models import AuditEvent
from punchlist.cli import main
from punchlist.interchange.oscal import poam_to_oscal
from punchlist.orgs.models import Organization
from punchlist.register.exports import build_export
from punchlist.testing import make_item


def test_an_admin_names_the_ssp_and_the_export_imports_it(team, capsys):
    make_item(team)
    assert main(["org", "set-ssp", "../ssp/ridgeline-ssp.xml", "--org", team.org.slug, "--user",
                 team.admin.username, "--reason", "SSP converted to OSCAL"]) == 0
    assert "../ssp/ridgeline-ssp.xml" in capsys.readouterr().out
    assert Organization.objects.get(pk=team.org.pk).ssp_href == "../ssp/ridgeline-ssp.xml"
    event = AuditEvent.objects.for_organization(team.org).filter(action="set_ssp_href").get()
    assert event.reason == "SSP converted to OSCAL"
    export = build_export(team.viewer, Organization.objects.get(pk=team.org.pk))
    document = poam_to_oscal(export.poam, export.context)["plan-of-action-and-milestones"]
    assert document["import-ssp"] == {"href": "../ssp/ridgeline-ssp.xml"}


def test_only_an_admin_may_and_a_bad_href_is_refused(team, capsys):
    assert main(["org", "set-ssp", "ssp.xml", "--org", team.org.slug, "--user", team.coordinator.username]) == 2
    assert main(["org", "set-ssp", "two words", "--org", team.org.slug, "--user", team.admin.username]) == 2
    assert "without spaces" in capsys.readouterr().err
    assert Organization.objects.get(pk=team.org.pk).ssp_href == ""
    assert not AuditEvent.objects.for_organization(team.org).filter(action="set_ssp_href").exists()


def test_an_operator_sets_up_a_provider_and_its_clients(team, rival, capsys):
    """`punchlist org make-provider`, `attach-client` and `create-client`, through the same services."""
    from punchlist.orgs import services as org_services
    from punchlist.orgs.models import Invitation, Role

    assert main(["org", "make-provider", "--org", team.org.slug, "--user", team.coordinator.username]) == 2
    assert main(["org", "make-provider", "--org", team.org.slug, "--user", team.admin.username]) == 0
    assert Organization.objects.get(pk=team.org.pk).is_provider
    # Attaching takes an administrator of both sides.
    assert main(["org", "attach-client", rival.org.slug, "--org", team.org.slug, "--user",
                 team.admin.username]) == 2
    assert "not a member" in capsys.readouterr().err
    org_services.invite_member(rival.admin, rival.org, team.admin.username, Role.ADMIN)
    org_services.accept_invitation(team.admin, Invitation.objects.get(organization=rival.org))
    assert main(["org", "attach-client", rival.org.slug, "--org", team.org.slug, "--user", team.admin.username,
                 "--reason", "contract signed"]) == 0
    assert Organization.objects.get(pk=rival.org.pk).provider_id == team.org.pk
    assert main(["org", "create-client", "Cobalt Tools", "--org", team.org.slug, "--user", team.admin.username,
                 "--coordinator", rival.coordinator.username]) == 0
    assert "invited as its POA&M coordinator" in capsys.readouterr().out
    cobalt = Organization.objects.get(name="Cobalt Tools")
    assert cobalt.provider_id == team.org.pk
    assert Invitation.objects.get(organization=cobalt).username == rival.coordinator.username
    assert AuditEvent.objects.for_organization(team.org).filter(
        action__in=["make_provider", "attach_client", "create_client"]).count() == 3
