"""The one pipeline every metric command and the audit run: prompts -> answers -> metrics -> typed results."""
