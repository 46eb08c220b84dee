"""One recognizer per kind of personal data; each returns scored ``Finding``s (see
``recognize.privacy.analyzer``, which runs them all and merges what they find)."""
