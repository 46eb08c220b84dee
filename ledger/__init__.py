"""The domain: org units, users, captures, diary entries, the three-level ledger, audit."""
