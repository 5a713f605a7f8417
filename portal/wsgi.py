import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

from portal.warm_up import warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
# Refuse to serve without a secret: reading an empty SECRET_KEY raises ImproperlyConfigured
# ("The SECRET_KEY setting must not be empty."), so the server stops here, not at a request.
settings.SECRET_KEY  # noqa: B018
warm_up()
gc.freeze()  # Django, the modules and what warm_up built: out of full collections (portal.long_lived)
