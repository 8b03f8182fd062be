"""Speaks OCI: names, media types, manifests, the walk of a tree, the cache, errors. Never imports textual, ui/, cli/ or keychain/."""
