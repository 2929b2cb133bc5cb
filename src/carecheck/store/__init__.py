"""What carecheck keeps on disk for a person: files written safely (0600), drafts, and the records database."""
