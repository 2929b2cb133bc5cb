"""Results laid out for people and programs: text, Markdown, HTML and the contract's JSON."""
