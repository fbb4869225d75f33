"""Evidence: models, vocabularies, loading, validation and frames."""
