"""RSA key pairs of the local actors: made when an actor is first needed, kept in the
database, and replaced by ``rotate_key`` (README, "Social web", says when and how)."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_SIZE = 2048


def new_key_pair():
    """A fresh RSA key pair as (private PEM, public PEM) strings."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_SIZE)
    private_pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def load_private_key(pem):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def load_public_key(pem):
    return serialization.load_pem_public_key(pem.encode())
