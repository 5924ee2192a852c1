"""LLM judges: prompt templates, robust score parsing, and judged runs through the store."""
