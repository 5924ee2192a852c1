"""Evaluation tools' logs as answers (docs/import.md): one reader per format, each behind the `import` extra."""
