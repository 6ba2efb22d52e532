from django.conf import settings
from django.urls import translate_url
from django.utils.translation import get_language


def portal(request) -> dict:
    from portal.notifications import notifications_unread_count

    user = getattr(request, "user", None)
    unread = notifications_unread_count(user=user) if user and user.is_authenticated else 0
    # The language switch posts the page's address already translated: Django's set_language
    # translates `next` in the language of the request (the browser's or the cookie's), which
    # cannot resolve the other language's prefix when the two differ.
    other = "en" if (get_language() or "ar").startswith("ar") else "ar"
    return {
        "other_language_path": translate_url(request.get_full_path(), other),
        "unread_notifications": unread,
        "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
        "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
        "STAFF_MFA_REQUIRED": settings.STAFF_MFA_REQUIRED,
    }
