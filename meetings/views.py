# Temporary: being written.
def meeting_detail(*args, **kwargs):
    raise NotImplementedError
