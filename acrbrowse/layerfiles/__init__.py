"""What is inside an image, without pulling it: a layer's files (streamed from its tar, or read from
an eStargz / zstd:chunked table of contents) and the merged filesystem of a platform image.

Domain code: it never imports Textual. The UI and the CLI both read a layer through `fetch`.
"""
