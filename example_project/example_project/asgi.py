import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
# Under an ASGI server the webhook is the async view (asgi_urls.py); the rest of the URLs are the same.
os.environ.setdefault("DJANGO_ROOT_URLCONF", "example_project.asgi_urls")
application = get_asgi_application()
