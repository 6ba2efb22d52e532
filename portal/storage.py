from django.core.files.storage import Storage, storages


def private_storage() -> Storage:
    """Uploads and issued documents (STORAGES["private"]): outside the static tree, with no
    public URL; only the permission-checking views serve them."""
    return storages["private"]
