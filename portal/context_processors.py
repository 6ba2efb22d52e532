from django.conf import settings


def portal(request) -> dict:
    return {
        "DEPARTMENT_NAME_AR": settings.DEPARTMENT_NAME_AR,
        "DEPARTMENT_NAME_EN": settings.DEPARTMENT_NAME_EN,
        "STAFF_MFA_REQUIRED": settings.STAFF_MFA_REQUIRED,
    }
