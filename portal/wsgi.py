import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
gc.freeze()  # Django and the modules, loaded: out of full collections (portal.long_lived)
# Refuse to serve without a secret: reading an empty SECRET_KEY raises ImproperlyConfigured
# ("The SECRET_KEY setting must not be empty."), so the server stops here, not at a request.
settings.SECRET_KEY  # noqa: B018
