"""Cryptographic primitives: key material, envelope encryption, blind indexes, file crypto."""
