import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialfabric.settings.local")
application = get_wsgi_application()

# Insights reports are computed in the background of the serving process (see
# socialfabric.insights.worker); only a serving process imports this module.
from socialfabric.insights import worker  # noqa: E402

worker.start()
