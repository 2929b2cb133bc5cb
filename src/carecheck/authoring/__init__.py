"""Tools for people who write questionnaires and rule sets: validate, test, explain, verify, template, schema."""
