#!/usr/bin/python3
"""Drives the software key over HID-over-UDP with Yubico's python-fido2 (Debian python3-fido2),
an independent CTAP 2.1 client, and verifies what it returns with python-fido2's own WebAuthn
server and packed-attestation verifier.

Run with Debian's python3 (the module is not on pyenv's). Phases:
  full  --port P --protocol 1|2 --root ROOT.pem   everything except reset, on a factory-fresh key
  reset --port P                                  reset (the caller re-plugs the key first)
  bench --port P                                  for each "run" line on stdin: open, reset (untimed),
                                                  then the timed per-key sequence; prints its seconds
Each check prints one JSON line; any failure raises and exits non-zero."""

import argparse
import json
import os
import socket
import sys
import time

from fido2 import cbor
from fido2.attestation import PackedAttestation
from fido2.client import ClientError, Fido2Client
from fido2.ctap import CtapError
from fido2.ctap2 import ClientPin, Config, CredentialManagement, Ctap2, PinProtocolV1, PinProtocolV2
from fido2.ctap2.extensions import CredProtectExtension
from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor
from fido2.server import AttestationVerifier, Fido2Server
from fido2.utils import sha256, websafe_encode
from fido2.webauthn import PublicKeyCredentialRpEntity

RP_ID = "example.com"
ORIGIN = "https://example.com"


class UdpConnection(CtapHidConnection):
    """One 64-byte report per datagram, to 127.0.0.1:port (the HID-over-UDP convention)."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(15)

    def write_packet(self, data):
        self.sock.send(bytes(data))

    def read_packet(self):
        return self.sock.recv(64)

    def close(self):
        self.sock.close()


def open_device(port):
    return CtapHidDevice(HidDescriptor("udp", 0x1050, 0x0407, 64, 64), UdpConnection(port))


def report(check, **fields):
    print(json.dumps({"check": check, **fields}), flush=True)


def expect_ctap_error(code, func, *args, **kwargs):
    try:
        func(*args, **kwargs)
    except CtapError as e:
        if e.code != code:
            raise AssertionError("expected %s, got %s" % (code, e.code))
        return
    except ClientError as e:
        cause = getattr(e, "cause", None)
        if isinstance(cause, CtapError) and cause.code == code:
            return
        raise
    raise AssertionError("expected %s, but the call succeeded" % code)


class TrustRoot(AttestationVerifier):
    def __init__(self, root_der):
        super().__init__()
        self.root_der = root_der

    def ca_lookup(self, result, auth_data):
        return [self.root_der]


def pem_to_der(path):
    import base64
    lines = [l.strip() for l in open(path) if l.strip() and not l.startswith("-----")]
    return base64.b64decode("".join(lines))


def phase_full(port, protocol_version, root_path):
    dev = open_device(port)
    ctap = Ctap2(dev)  # strict_cbor=True: non-canonical answers raise
    info = ctap.info
    assert "FIDO_2_1" in info.versions and "FIDO_2_0" in info.versions, info.versions
    assert info.options.get("clientPin") is False, info.options
    assert info.pin_uv_protocols == [2, 1], info.pin_uv_protocols
    for option in ("rk", "credMgmt", "authnrCfg", "setMinPINLength", "pinUvAuthToken"):
        assert info.options.get(option) is True, option
    assert "alwaysUv" in info.options
    assert set(["credProtect", "hmac-secret", "minPinLength"]) <= set(info.extensions), info.extensions
    report("getInfo", versions=info.versions, aaguid=info.aaguid.hex(), options=info.options)

    protocol = PinProtocolV1() if protocol_version == 1 else PinProtocolV2()
    client_pin = ClientPin(ctap, protocol)
    pin1, pin2, pin3 = "4711", "86420135", "97531246"
    client_pin.set_pin(pin1)
    assert client_pin.get_pin_retries()[0] == 8
    client_pin.change_pin(pin1, pin2)
    expect_ctap_error(CtapError.ERR.PIN_INVALID, client_pin.get_pin_token, "00000000", ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    assert client_pin.get_pin_retries()[0] == 7
    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    assert client_pin.get_pin_retries()[0] == 8
    report("pin", protocol=protocol_version, setPin=True, changePin=True, wrongPinRefused=True)

    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, protocol, token).set_min_pin_length(min_pin_length=6, rp_ids=[RP_ID])
    info = ctap.get_info()
    assert info.min_pin_length == 6 and info.force_pin_change is False, (info.min_pin_length, info.force_pin_change)
    report("config", minPinLength=info.min_pin_length)

    client = Fido2Client(dev, ORIGIN)
    client.client_pin = ClientPin(client.ctap2, protocol)
    server = Fido2Server(PublicKeyCredentialRpEntity(RP_ID, "Example"), attestation="direct",
                         verify_attestation=TrustRoot(pem_to_der(root_path)))
    user = {"id": b"user-handle-0001", "name": "ada@example.com", "displayName": "Ada"}
    create_options, state = server.register_begin(user, resident_key=True, user_verification="required")
    create_options = dict(create_options)
    public_key = dict(create_options["publicKey"])
    # python-fido2 0.9.1 wants the enum member here, not its string value.
    public_key["extensions"] = {"credentialProtectionPolicy": CredProtectExtension.POLICY.OPTIONAL,
                                "hmacCreateSecret": True, "minPinLength": True}
    attestation = client.make_credential(public_key, pin=pin2)
    auth_data = server.register_complete(state, attestation.client_data, attestation.attestation_object)
    att_obj = attestation.attestation_object
    assert att_obj.fmt == "packed"
    PackedAttestation().verify(att_obj.att_statement, att_obj.auth_data, attestation.client_data.hash)
    ext = att_obj.auth_data.extensions
    assert ext.get("credProtect") == 1 and ext.get("hmac-secret") is True and ext.get("minPinLength") == 6, ext
    flags = att_obj.auth_data.flags
    assert flags & 0x01 and flags & 0x04 and flags & 0x40, flags
    credential = auth_data.credential_data
    report("makeCredential", fmt=att_obj.fmt, attestationVerified=True, flags=flags, extensions=ext,
           credentialId=websafe_encode(credential.credential_id))

    request_options, state = server.authenticate_begin([credential], user_verification="required")
    selection = client.get_assertion(dict(request_options)["publicKey"], pin=pin2)
    response = selection.get_response(0)
    server.authenticate_complete(state, [credential], response.credential_id, response.client_data,
                                 response.authenticator_data, response.signature)
    assert response.authenticator_data.flags & 0x05 == 0x05
    report("getAssertion", verified=True, flags=response.authenticator_data.flags)

    salt = os.urandom(32)
    outputs = []
    for _ in range(2):
        request_options, state = server.authenticate_begin([credential], user_verification="required")
        public_key = dict(dict(request_options)["publicKey"])
        public_key["extensions"] = {"hmacGetSecret": {"salt1": salt}}
        selection = client.get_assertion(public_key, pin=pin2)
        outputs.append(selection.get_response(0).extension_results["hmacGetSecret"]["output1"])
    assert outputs[0] == outputs[1] and len(outputs[0]) == 32
    report("hmacSecret", stable=True)

    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.CREDENTIAL_MGMT)
    credman = CredentialManagement(ctap, protocol, token)
    metadata = credman.get_metadata()
    assert metadata[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 1, metadata
    rps = credman.enumerate_rps()
    assert [rp[CredentialManagement.RESULT.RP]["id"] for rp in rps] == [RP_ID], rps
    creds = credman.enumerate_creds(sha256(RP_ID.encode()))
    assert len(creds) == 1 and creds[0][CredentialManagement.RESULT.USER]["id"] == user["id"]
    assert creds[0][CredentialManagement.RESULT.CRED_PROTECT] == 1
    credman.delete_cred(creds[0][CredentialManagement.RESULT.CREDENTIAL_ID])
    assert credman.get_metadata()[CredentialManagement.RESULT.EXISTING_CRED_COUNT] == 0
    report("credentialManagement", enumerated=1, deleted=1)

    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    config = Config(ctap, protocol, token)
    config.toggle_always_uv()
    assert ctap.get_info().options.get("alwaysUv") is True
    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, protocol, token).toggle_always_uv()
    assert ctap.get_info().options.get("alwaysUv") is False
    token = client_pin.get_pin_token(pin2, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, protocol, token).set_min_pin_length(force_change_pin=True)
    assert ctap.get_info().force_pin_change is True
    # While a change is forced, CTAP 2.1 refuses tokens: the permissions subcommand with
    # PIN_POLICY_VIOLATION, the legacy one (0x05) with PIN_INVALID.
    expect_ctap_error(CtapError.ERR.PIN_POLICY_VIOLATION, client_pin.get_pin_token, pin2, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    expect_ctap_error(CtapError.ERR.PIN_INVALID, legacy_pin_token, ctap, client_pin, protocol, pin2)
    client_pin.change_pin(pin2, pin3)
    assert ctap.get_info().force_pin_change is False
    client_pin.get_pin_token(pin3, ClientPin.PERMISSION.GET_ASSERTION, RP_ID)
    report("forcePinChange", enforced=True, clearedByChangePin=True)


def legacy_pin_token(ctap, client_pin, protocol, pin):
    """getPinToken (0x05): python-fido2 0.9.1 only sends it to keys without pinUvAuthToken."""
    key_agreement, shared_secret = client_pin._get_shared_secret()
    pin_hash_enc = protocol.encrypt(shared_secret, sha256(pin.encode())[:16])
    ctap.client_pin(protocol.VERSION, ClientPin.CMD.GET_TOKEN_USING_PIN_LEGACY,
                    key_agreement=key_agreement, pin_hash_enc=pin_hash_enc)


def phase_reset(port):
    dev = open_device(port)
    ctap = Ctap2(dev)
    ctap.reset()
    info = ctap.get_info()
    assert info.options.get("clientPin") is False and info.min_pin_length == 4, info
    report("reset", clientPin=info.options.get("clientPin"), minPinLength=info.min_pin_length)


def per_key_sequence(dev, pin):
    """The station's per-key sequence: getInfo, setPIN, setMinPINLength, makeCredential,
    getAssertion, forcePINChange (the same CTAP calls the TypeScript bench makes)."""
    ctap = Ctap2(dev)
    protocol = PinProtocolV2()
    client_pin = ClientPin(ctap, protocol)
    client_pin.set_pin(pin)
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, protocol, token).set_min_pin_length(min_pin_length=len(pin))
    client_data_hash = sha256(b'{"type":"webauthn.create"}')
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.MAKE_CREDENTIAL, "login.microsoft.com")
    attestation = ctap.make_credential(
        client_data_hash,
        {"id": "login.microsoft.com", "name": "Microsoft"},
        {"id": b"bench-user-0001", "name": "bench@example.com", "displayName": "Bench"},
        [{"type": "public-key", "alg": -7}],
        extensions={"credProtect": 1, "hmac-secret": True},
        options={"rk": True},
        pin_uv_param=protocol.authenticate(token, client_data_hash),
        pin_uv_protocol=protocol.VERSION,
    )
    credential_id = attestation.auth_data.credential_data.credential_id
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, "login.microsoft.com")
    ctap.get_assertion(
        "login.microsoft.com",
        client_data_hash,
        [{"type": "public-key", "id": credential_id}],
        pin_uv_param=protocol.authenticate(token, client_data_hash),
        pin_uv_protocol=protocol.VERSION,
    )
    token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
    Config(ctap, protocol, token).set_min_pin_length(force_change_pin=True)
    assert ctap.get_info().force_pin_change is True


def phase_bench(port):
    for line in sys.stdin:
        if line.strip() != "run":
            break
        # Untimed: the caller re-plugged the key, so open a new channel and reset within the window.
        dev = open_device(port)
        Ctap2(dev).reset()
        started = time.perf_counter()
        per_key_sequence(dev, "58203947")
        print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)
        dev.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["full", "reset", "bench"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", type=int, choices=[1, 2], default=2)
    parser.add_argument("--root")
    args = parser.parse_args()
    if args.phase == "full":
        phase_full(args.port, args.protocol, args.root)
    elif args.phase == "reset":
        phase_reset(args.port)
    else:
        phase_bench(args.port)


if __name__ == "__main__":
    main()
