# Temporary: being written.
def _todo(*args, **kwargs):
    raise NotImplementedError


catalogue = service_detail = transaction_new = transaction_list = transaction_detail = _todo
transaction_edit = document_upload = remark_action = payment_action = _todo
transaction_action = staff_queue = _todo
