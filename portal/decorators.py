"""View decorators shared by the apps' pages."""

from collections.abc import Callable
from functools import wraps

from django.shortcuts import redirect


def post_only(object_page: str) -> Callable:
    """For action URLs (POST, then redirect to the object's page): any other method — a reload
    or a bookmark of the address an invalid form was shown at — goes to the object's page
    (`object_page`, a URL name taking the view's `pk`) instead of an empty 405."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method != "POST":
                return redirect(object_page, pk=kwargs["pk"])
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
