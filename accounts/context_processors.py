from accounts.roles import Role, is_staff_member, user_roles


def roles(request) -> dict:
    user = getattr(request, "user", None)
    names = user_roles(user) if user else frozenset()
    return {
        "user_roles": names,
        "is_staff_member": is_staff_member(user) if user else False,
        "Role": Role,
    }
