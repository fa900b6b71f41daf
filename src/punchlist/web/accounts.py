"""allauth's hooks: nobody signs themselves up; an administrator adds people to an organization."""

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False
