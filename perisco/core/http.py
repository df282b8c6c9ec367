"""What a request says about its sender, read the way the deployment sees it."""

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str:
    """The address of the person's machine, not of the reverse proxy in front of Périsco.

    With `PERISCO_PROXY_COUNT` = n trusted proxies (nginx in docs/deploy.md: 1), each one
    appends the address it received the request from to X-Forwarded-For, so the client is
    the n-th address from the right; anything further left was written by the client and is
    ignored. With 0 (`make run`), X-Forwarded-For is the client's word and is not read.

    Used by the sign-in lockout (django-axes), the e-mail rate limits and the request log:
    with `REMOTE_ADDR` alone, every family behind the proxy would share one address, and
    five wrong passwords would lock everybody out.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.PERISCO_PROXY_COUNT
    if proxies <= 0:
        return remote
    # In python-ipware's terms the last proxy (the one gunicorn sees) is not in the header:
    # n proxies leave the client n - 1 places before the end of the chain.
    address, _routable = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=["HTTP_X_FORWARDED_FOR"],
        strict=False,
    )
    return address or remote
