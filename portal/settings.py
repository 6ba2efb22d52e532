"""Settings for the public-works e-services portal.

Everything comes from the environment (django-environ). The defaults give the embedded
development portal: SQLite, Celery eager, e-mail to the console. Production sets DEBUG=false and
must then supply SECRET_KEY and ALLOWED_HOSTS; nothing secret has a production default.
"""

import re
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env("SECRET_KEY", default="dev-only-not-secret-" + "x" * 40)
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    try:
        SECRET_KEY = env("SECRET_KEY")
        ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(
            "With DEBUG off, SECRET_KEY and ALLOWED_HOSTS must be set in the environment."
        ) from exc

# The port scripts/run.sh serves on; links in e-mails and the QR codes of issued documents
# follow it unless SITE_URL names the public address.
PORT = env.int("PORT", default=8000)
SITE_URL = env("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "portal",
    "accounts",
    "transactions",
    "tenders",  # before meetings, which may import it (a pre-bid session's tender)
    "meetings",
]

MIDDLEWARE = [
    # First: an oversized body is refused before anything reads it (portal.middleware).
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "portal.middleware.DeveloperDocsLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.audit.AuditContextMiddleware",
    "portal.middleware.DomainErrorMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMFAMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "accounts.context_processors.roles",
            ],
        },
    },
]

FORM_RENDERER = "portal.forms.PortalFormRenderer"

# --- Database: SQLite unless DATABASE_URL is set --------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests that use a real worker thread need a test database on disk, not in memory.
    # pytest-django appends each pytest-xdist worker's id (_gw0, _gw1…) to this name.
    DATABASES["default"]["TEST"] = {
        "NAME": env("TEST_SQLITE_PATH", default=str(BASE_DIR / "var" / "test-db.sqlite3"))
    }
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # PostgreSQL plans explicit JOINs in the order the ORM writes them (the base table, then
    # what select_related adds): searching every order took 1.5-2 ms of planning for each page's
    # main query, ten times its execution (issue 11). Each pair of tables is still joined
    # either way round, by the method the planner finds cheapest.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c join_collapse_limit=1"
    # A choice field's options are read in one round trip, not through a server-side cursor
    # (DECLARE, FETCH, CLOSE); nothing here streams a result too big to fetch at once.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: Redis when REDIS_URL is set, local memory otherwise -----------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read from the cache and written through to the database (issue 11: one query
# less on every signed-in request; a cleared cache loses no session).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:profile"
# Where a sign-in lands when no page asked for one (accounts.adapters.AccountAdapter).
CUSTOMER_HOME_URL = "transactions:list"
STAFF_HOME_URL = "accounts:staff_home"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("MFA_TOTP_ISSUER", default="Public Works e-Services")

# Staff roles must have TOTP before any staff page opens. Always on in production; the embedded
# demo leaves it off so every role can be tried without an authenticator app.
STAFF_MFA_REQUIRED = env.bool("STAFF_MFA_REQUIRED", default=not DEBUG)

# How many reverse proxies (load balancer, CDN) in front of the portal append to
# X-Forwarded-For. 0: the header is ignored, as any client can write it. portal.net.client_ip
# reads it for the audit log, the API throttle and allauth's rate limits alike.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Failed sign-ins are counted per account and per client address across the web form and the
# API token endpoint (both call AccountAdapter.authenticate): 5 per account in 5 minutes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}

# API tokens (django-rest-knox): only a hash is stored; each expires after this many days and
# can be revoked by its owner on the profile page. Staff need a TOTP code to get one.
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=30)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}

# --- Languages: Arabic first -----------------------------------------------------------------
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Dubai"
USE_TZ = True

# --- Static and private files ----------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static" / "dist"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private"))
        },
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads and issued documents live outside the static tree and have no public URL: they are
# served only by views that check permission.
MEDIA_ROOT = STORAGES["private"]["OPTIONS"]["location"]

UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A request's fields other than its files (a JSON body, a form's text): 1 MiB is ample.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
# The largest body a request may declare: one upload and the rest of its form. Larger ones get
# 413 before they are read (portal.middleware.RequestSizeLimitMiddleware); the reverse proxy in
# docker-compose.yml computes the same sum (docker/nginx/10-body-limit.envsh).
REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE

# --- E-mail -----------------------------------------------------------------------------------
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    # The embedded portal keeps each e-mail as a file in var/mail/ (the README's "local inbox")
    # rather than printing whole MIME messages into the terminal.
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend")
    EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env(
    "DEFAULT_FROM_EMAIL", default="Public Works e-Services <no-reply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Celery: eager unless a broker is configured ----------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Issued documents: WeasyPrint is cut off after DOCUMENT_RENDER_TIME_LIMIT seconds (soft limit
# 15 s earlier); after DOCUMENT_RENDER_MAX_ATTEMPTS failed renders a document is marked failed
# for an admin to retry. The sweep (every DOCUMENT_SWEEP_SECONDS) queues again a document whose
# last attempt is older than the time limit: that worker died.
DOCUMENT_RENDER_TIME_LIMIT = env.int("DOCUMENT_RENDER_TIME_LIMIT", default=90)
DOCUMENT_RENDER_MAX_ATTEMPTS = env.int("DOCUMENT_RENDER_MAX_ATTEMPTS", default=5)
DOCUMENT_SWEEP_SECONDS = env.int("DOCUMENT_SWEEP_SECONDS", default=120)
# Redis hands a message a killed worker took to another worker after the visibility timeout.
# It must exceed every task's time limit plus its longest countdown (a notification's retry
# waits up to 30 minutes: portal.tasks.MAX_COUNTDOWN_SECONDS), or a task still running or
# waiting for its retry is delivered twice. A killed worker's documents are recovered sooner,
# by the sweep: README, "Worst-case delays". Workers look for such messages every 10 s (kombu's
# default throttle would make that every 100 s).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=40 * 60),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_BEAT_SCHEDULE = {
    "sweep-notifications": {"task": "portal.tasks.sweep_notifications", "schedule": 120.0},
    "sweep-documents": {
        "task": "portal.tasks.sweep_documents",
        "schedule": float(DOCUMENT_SWEEP_SECONDS),
    },
    # Uploads left on disk by requests that rolled back: daily at 03:00.
    "sweep-orphan-files": {
        "task": "portal.tasks.sweep_orphan_files",
        "schedule": crontab(hour=3, minute=0),
    },
    # Meeting reminders (24 hours and 15 minutes before), each sent once.
    "meeting-reminders": {"task": "meetings.tasks.send_reminders", "schedule": 60.0},
    # Scheduled meetings left on a withdrawn or expired transaction (its cancel task was lost).
    "meetings-abandoned": {"task": "meetings.tasks.sweep_abandoned_meetings", "schedule": 600.0},
    # Overdue digests to team supervisors, expiry warnings and expiry: once a day at 07:00.
    "transactions-daily": {
        "task": "transactions.tasks.daily_housekeeping",
        "schedule": crontab(hour=7, minute=0),
    },
    # Tenders: published → tendering at the enquiries deadline, → closed at the submission
    # deadline (tenders.services.lifecycle.tenders_advance; guarded by status and time).
    "tenders-advance": {"task": "tenders.tasks.advance_tenders", "schedule": 60.0},
}

# --- Notifications: the outbox sweep re-queues rows still pending after this many minutes;
# SMS is off unless SMS_BACKEND names a backend class (portal.sms.LoggingSmsBackend logs them).
NOTIFICATION_SWEEP_AFTER_MINUTES = env.int("NOTIFICATION_SWEEP_AFTER_MINUTES", default=5)
SMS_BACKEND = env("SMS_BACKEND", default="")
# A refused delivery is tried again after base·2^(attempts−1) seconds, ±jitter, at most the cap,
# until the row is this many hours old; then it is undeliverable (counted on /healthz, retried
# from admin). A worker claims a row for the lease while it talks to the mail server, which
# must answer within EMAIL_TIMEOUT seconds (Django's SMTP backend otherwise waits for ever).
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_CAP_HOURS = env.float("NOTIFICATION_RETRY_CAP_HOURS", default=4)
NOTIFICATION_RETRY_JITTER = env.float("NOTIFICATION_RETRY_JITTER", default=0.1)
NOTIFICATION_GIVE_UP_AFTER_HOURS = env.int("NOTIFICATION_GIVE_UP_AFTER_HOURS", default=72)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)

# --- Transactions -------------------------------------------------------------------------------
# A transaction waiting on its customer expires after this many calendar days of silence; the
# customer is warned this many days before.
TRANSACTION_EXPIRY_DAYS = env.int("TRANSACTION_EXPIRY_DAYS", default=60)
TRANSACTION_EXPIRY_WARNING_DAYS = env.int("TRANSACTION_EXPIRY_WARNING_DAYS", default=7)
# --- Tenders -------------------------------------------------------------------------------------
# An addendum that leaves fewer than this many days before the submission deadline moves the
# deadline to this many days after the addendum (bidders need time to act on it).
TENDER_MIN_DAYS_AFTER_ADDENDUM = env.int("TENDER_MIN_DAYS_AFTER_ADDENDUM", default=5)
# Days after the award in which a bidder may object; no contract is signed before they end.
TENDER_STANDSTILL_DAYS = env.int("TENDER_STANDSTILL_DAYS", default=10)
# Committee approvals a recommendation needs before the award.
TENDER_APPROVALS_REQUIRED = env.int("TENDER_APPROVALS_REQUIRED", default=2)
# Committee members needed to open the bids (Shamir 2-of-n). Fixed by the issue: the tender's
# key is split so that any two members, and never one, can rebuild it. Not from the environment.
TENDER_SHARE_THRESHOLD = 2
# The Open Contracting ID prefix registered for the publisher ("ocds-" + six characters); each
# tender's ocid is "<prefix>-<reference>". The default is for development only.
OCDS_OCID_PREFIX = env("OCDS_OCID_PREFIX", default="ocds-shjdev")
if not re.fullmatch(r"ocds-[a-z0-9]{6}", OCDS_OCID_PREFIX):
    raise ImproperlyConfigured("OCDS_OCID_PREFIX must be 'ocds-' and six letters or digits.")

# --- Video meetings (Jitsi Meet) ------------------------------------------------------------------
# The Jitsi server the meeting pages embed (its IFrame API is loaded from https://<domain>/).
JITSI_DOMAIN = env("JITSI_DOMAIN", default="localhost:8443")
# With both set, every participant gets a signed JWT (HS256) for their one room; the Jitsi server
# must run JWT authentication with the same app id and secret.
JITSI_APP_ID = env("JITSI_APP_ID", default="")
JITSI_APP_SECRET = env("JITSI_APP_SECRET", default="")
# The token's `sub`: the Jitsi deployment's XMPP domain (docker-jitsi-meet: meet.jitsi).
JITSI_JWT_SUBJECT = env("JITSI_JWT_SUBJECT", default="meet.jitsi")
# The meeting page opens the room this many minutes before the start.
MEETING_ROOM_OPENS_MINUTES = env.int("MEETING_ROOM_OPENS_MINUTES", default=10)
# The ORGANIZER of meeting invitations; empty: the meeting's host, whose calendar owns it.
MEETING_ORGANIZER_EMAIL = env("MEETING_ORGANIZER_EMAIL", default="")
# The department's account for fees paid by bank transfer, shown to customers with a fee due.
FEE_BANK_ACCOUNT_NAME = env("FEE_BANK_ACCOUNT_NAME", default="")
FEE_BANK_IBAN = env("FEE_BANK_IBAN", default="")
FEE_PAYMENT_PROVIDER = env("FEE_PAYMENT_PROVIDER", default="transactions.fees.OfflineProvider")

# --- REST API ---------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first so that an unauthenticated API call gets 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, with the errors every operation shares (401/403, 400, a page's 404).
    "DEFAULT_SCHEMA_CLASS": "portal.api.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.Pagination",
    "PAGE_SIZE": 25,
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # DRF's own get_ident reads X-Forwarded-For with the same trust as portal.net.client_ip.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Public Works e-Services API",
    "DESCRIPTION": "Transactions, meetings, tenders and payments of the public-works department.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Separate request components, so that fields that refuse blanks say minLength: 1.
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security ---------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    # Local docker compose over plain http may set SECURE_COOKIES=false; never in production.
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Content security ------------------------------------------------------------------------
# django-csp 4: scripts, styles, fonts and images from the portal only; no inline script or
# style, nothing may frame the portal. The meeting page alone adds the Jitsi server's IFrame
# API script and frame (meetings.views.detail via portal.middleware.allow_video_frame).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # data: for the small SVG icons the stylesheets (Swagger UI, admin) carry inline.
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
}
# Powerful browser features no page uses; the meeting page delegates camera, microphone,
# screen sharing and full screen to the Jitsi frame only (portal.middleware).
PERMISSIONS_POLICY = {
    "camera": [],
    "microphone": [],
    "display-capture": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
    "fullscreen": ["self"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint logs each step of every PDF (and fontTools each font subset) at INFO, and each
    # CSS property it does not support at WARNING, on every render: in a worker rendering
    # receipts that is most of the log (issue 11). A failed render raises, and is logged there.
    "loggers": {
        "weasyprint": {"level": "ERROR"},
        "weasyprint.progress": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # The embedded portal runs tasks in the web process: their per-task lines and WeasyPrint's
    # and fontTools' per-PDF steps would bury the request log. A real worker keeps its own.
    LOGGING.setdefault("loggers", {}).update(
        {name: {"level": "WARNING"} for name in ("celery", "weasyprint", "fontTools")}
    )

# --- Working calendar: Python weekday numbers (Monday=0). Sharjah government: Monday–Thursday.
WORKING_WEEKDAYS = env.list("WORKING_WEEKDAYS", cast=int, default=[0, 1, 2, 3])

# --- The department ---------------------------------------------------------------------------
DEPARTMENT_NAME_AR = env("DEPARTMENT_NAME_AR", default="دائرة الأشغال العامة")
DEPARTMENT_NAME_EN = env("DEPARTMENT_NAME_EN", default="Public Works Department")
