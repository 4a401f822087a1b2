"""Insurance claims: extract a claim from a document, check it against the policy table, decide."""
