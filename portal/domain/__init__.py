"""The domain: models' rules, the case state machine, policy types. No Flask here."""
