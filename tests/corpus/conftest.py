"""The corpus is input data, not tests: keep pytest (and the golden-case plugin, which
collects every ``*.cases.yaml``) out of it. ``tests/fuzz/test_corpus.py`` runs it."""

collect_ignore_glob = ["*"]
