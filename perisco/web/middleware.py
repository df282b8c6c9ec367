"""Checks every page of the sites runs through, whatever its decorator says."""

from django.http import HttpRequest

from perisco.web.access import account_state_redirect


class AccountStateMiddleware:
    """A signed-in user who must change their password or set up a required second factor
    is sent there before any page, public ones included (a document's address, a file's
    download): done here rather than in each view's decorator, so no view can forget it.
    Pages marked `open_before_account_setup` (the set-up pages, signing out) stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or getattr(view_func, "open_before_account_setup", False):
            return None
        if request.organisation is None and user.organisation_id is not None:
            # The platform's front page and other pages outside any organisation's site:
            # an organisation's user has no account pages there to be sent to.
            return None
        return account_state_redirect(request)
