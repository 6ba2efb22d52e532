"""Signals other apps listen to (they may import transactions; transactions imports none)."""

from django.dispatch import Signal

# Sent after commit when the customer gave up on a transaction (withdrawn) or let it lapse
# (expired), with `transaction_id` and `status`: what was planned about it is moot. It is sent
# from the withdrawal's request and from the daily expiry loop, so a receiver only queues its
# work (a Celery task on commit) and never raises: its failure must not undo nor interrupt them.
transaction_abandoned = Signal()
