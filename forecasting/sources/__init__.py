"""Published and partner data: manifest, raw cache, and one adapter per file layout."""
