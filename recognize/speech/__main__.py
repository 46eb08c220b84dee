"""``python -m recognize.speech FILE [--engine E] [--model M] [--json]``."""
from recognize.speech.transcribe import main

raise SystemExit(main())
