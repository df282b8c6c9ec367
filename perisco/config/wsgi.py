import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perisco.config.settings.production")

application = get_wsgi_application()

from perisco.config.warmup import warm_up  # noqa: E402 (after Django is set up)

warm_up()
