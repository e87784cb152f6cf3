"""Django settings of the test SensorThings server (run by tests/sta_server/server.py, never by the console).

Everything that varies comes from the environment the launcher sets: the SQLite file, the port,
the page size, and the Mosquitto broker the server announces for the MQTT extension.
"""

import os
from uuid import UUID

SECRET_KEY = "cityops-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "sensorthings.versions.v1_1",
    "sensorthings.versions.v1_1.backends.django",
    "sensorthings.versions.v1_1.extensions.dataarray",  # CreateObservations: the tests load in bulk
]
# The package routes the service root only with a trailing slash ("/v1.1/"), where the standard
# names it without one: CommonMiddleware's APPEND_SLASH redirects "/v1.1" there.
MIDDLEWARE = ["django.middleware.common.CommonMiddleware", "sta_mqtt.AnnounceMqtt", "sta_mqtt.FixToOneExpand"]
ROOT_URLCONF = "sta_urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["STA_DB"],
                         "OPTIONS": {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"}}}
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR"}}

SENSORTHINGS_V1_1_SERVICE_URL = f"http://127.0.0.1:{os.environ['STA_PORT']}/sensorthings"
SENSORTHINGS_V1_1_BACKEND_ADAPTER = "sta_mqtt.MqttAdapter"
SENSORTHINGS_V1_1_ID_TYPE = UUID
SENSORTHINGS_V1_1_ID_DELIMITER = "'"
SENSORTHINGS_V1_1_MAX_TOP = int(os.environ.get("STA_MAX_TOP", "1000"))
SENSORTHINGS_V1_1_DOCS_ENABLED = False
