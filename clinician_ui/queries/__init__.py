"""SQL for the clinician app, one module per domain; every query is scoped to the user's organisation."""
