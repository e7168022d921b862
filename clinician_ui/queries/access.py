"""The one rule of patient visibility: the patient's nursing team or GP practice is the user's own."""

from __future__ import annotations

# Use with a `p` alias for patients and an %(org)s parameter; NULL organisation sees nobody.
VISIBLE = "(p.nursing_org_id = %(org)s OR p.gp_org_id = %(org)s)"
