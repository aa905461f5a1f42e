"""Directory sync: source (LDAP or LDIF) → mapping → reconcile (pure) → apply (one transaction)."""
