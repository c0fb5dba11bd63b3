"""A secure-channel client: open a channel, send an encrypted login/initiate, read the answer.

    python examples/secure_channel_client.py [BASE_URL] [ACCESS_CODE]

Defaults: http://127.0.0.1:8000 and pac_demo_consumer (the demo data of `./scripts/run`).
"""

from __future__ import annotations

import base64
import json
import os
import sys
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000"
CODE = sys.argv[2] if len(sys.argv) > 2 else "pac_demo_consumer"
API = f"{BASE}/web/v1/consumer"
HEADERS = {"X-PORTAL-ACCESS-CODE": CODE}


def main() -> None:
    # 1. fetch the server key and wrap a fresh AES-256 key with RSA-OAEP (SHA-256, MGF1-SHA-256)
    key_info = httpx.get(f"{API}/secure-channel/public-key", headers=HEADERS).json()["data"]
    public_key = serialization.load_der_public_key(base64.b64decode(key_info["publicKey"]))
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise SystemExit("the server key is not an RSA key")
    aes_key = AESGCM.generate_key(bit_length=256)
    oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
    wrapped = base64.b64encode(public_key.encrypt(aes_key, oaep)).decode()

    # 2. open the channel
    channel = httpx.post(
        f"{API}/secure-channel/session",
        headers=HEADERS,
        json={"keyId": key_info["keyId"], "encryptedKey": wrapped},
    ).json()["data"]
    print("channel", channel["sessionId"], channel["algorithm"], "until", channel["expiresAt"])

    def seal(payload: Any) -> dict[str, str]:
        iv = os.urandom(12)
        ciphertext = AESGCM(aes_key).encrypt(iv, json.dumps(payload).encode(), None)
        return {
            "iv": base64.b64encode(iv).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }

    def unseal(body: dict[str, str]) -> Any:
        plain = AESGCM(aes_key).decrypt(
            base64.b64decode(body["iv"]), base64.b64decode(body["ciphertext"]), None
        )
        return json.loads(plain)

    # 3. an encrypted call: the body is {"iv","ciphertext"}, so is the answer
    response = httpx.post(
        f"{API}/auth/login/initiate",
        headers={**HEADERS, "X-SC-Session-Id": channel["sessionId"]},
        json=seal({"email": "consumer@demo.portico", "password": "DemoPass123!"}),
    )
    print(response.status_code, json.dumps(unseal(response.json()), ensure_ascii=False))

    # 4. close it
    httpx.post(
        f"{API}/secure-channel/session/close",
        headers={**HEADERS, "X-SC-Session-Id": channel["sessionId"]},
    )


if __name__ == "__main__":
    main()
