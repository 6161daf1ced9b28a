"""Exceptions raised by the security package.

Messages are one line for an operator and never carry plaintext or key bytes.
"""


class KeyConfigError(Exception):
    """Key material is missing, unreadable or malformed; the message says what to do."""


class KeyNotFound(KeyConfigError):
    """A key id referenced by stored data is not in the key ring."""


class DecryptionError(Exception):
    """Ciphertext failed authentication or is malformed.

    Deliberately vague: the cause (wrong key, wrong row, tampering) is not
    distinguishable to the caller, and no data is echoed back.
    """


class AuditChainBroken(Exception):
    """The audit log's head or newest entry is not what the chain says it should be.

    Raised before anything is appended, so a cut or rewritten log is never
    extended and re-sealed into something that verifies again."""
