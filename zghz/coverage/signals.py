"""What the coverage app tells others without knowing them (the analytics summary listens)."""

from django.dispatch import Signal

# Sent after the commit that stored new coverage, with `unit_ids`: the units whose coverage changed.
coverage_stored = Signal()
