"""One router per resource; each module exposes ``router`` and is included with one line in ``service.app``."""
