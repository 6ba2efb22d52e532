"""Signals other apps listen to (they may import transactions; transactions imports none)."""

from django.dispatch import Signal

# Sent after commit when the customer gave up on a transaction (withdrawn) or let it lapse
# (expired), with `transaction_id` and `status`: what was planned about it is moot.
transaction_abandoned = Signal()
