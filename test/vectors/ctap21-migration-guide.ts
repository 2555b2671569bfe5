// Vectors from the WebauthnWorks CTAP 2.1 Migration Guide (PIN/UV protocol 2, authenticatorConfig),
// with the errata recomputed in the notes marked as corrected.

import { fromHex } from '../../core/bytes.ts';

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 authenticator private key
export const AUTHENTICATOR_PRIVATE_KEY = fromHex(
  '90f0a83dba763dfa331061198fc90033a7adefe8fe63da224667b2c5ac0a52ba',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 authenticator public key (SEC1)
export const AUTHENTICATOR_PUBLIC_KEY = fromHex(
  '04d7404f738990a0af2bbc053d39f0a9c293898bf8e7c0fb9ab1ef4dd61bb70d37c09bed90721b78631be0e68f42997f7a1957b87a6537cfade9f0a68cd432e7f9',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 getKeyAgreement response (status ‖ CBOR)
export const GET_KEY_AGREEMENT_RESPONSE = fromHex(
  '00a101a501020338182001215820d7404f738990a0af2bbc053d39f0a9c293898bf8e7c0fb9ab1ef4dd61bb70d37225820c09bed90721b78631be0e68f42997f7a1957b87a6537cfade9f0a68cd432e7f9',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 platform private key
export const PLATFORM_PRIVATE_KEY = fromHex(
  'e5fccb46de79b04b62e930bbb72b274e30134545f08d54c72bba22407c825344',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 platform public key (SEC1)
export const PLATFORM_PUBLIC_KEY = fromHex(
  '04003a0bc15db601a238e891db21ca5f71eab98c8e05bf4e318daf471ea6e76dab3e303d19dcf2147db8d4ee0d932b0a0308ca55d69cf021c1c7e111d0cdc59efe',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 ECDH x-coordinate (sK)
export const ECDH_Z = fromHex('ee33f2cb08a46d2ddcaf03214af14c31510fcaa4452b8e6e04710fbc66727bac');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 1 key SHA-256(Z)
export const P1_KEY = fromHex('8f186f64182b86cfd8bbf73354772066ba46de6514149a7a79c050a3ce4f1ff9');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 2 aesKey (eKs)
export const P2_AES_KEY = fromHex(
  '6e1db0c8ebc48dad977a81d26ca7e5bfb0243bd1a2aba6c45adc7a00729b2027',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 2 hmacKey (mKs)
export const P2_HMAC_KEY = fromHex(
  'efe50001d97a7cf14096589e65147b108653683cc22aaf4d1f3bd91dc8e41cbd',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 "passwordsAreBad" padded to 64 bytes
export const PLAINTEXT = fromHex(
  '70617373776f72647341726542616400000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 1 ciphertext
export const P1_CIPHERTEXT = fromHex(
  'b206fc6039c9817a045fd274c601f448900b37a9bd2a7fdfe02e60471f684d0d1be5318c1c1d29c02ac2333bb039b0f7e2f9cccb6b4faca97281f95a8805f782',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 1 HMAC (full)
export const P1_HMAC = fromHex('8d4bb4e328427041bfd1e3dd70b1fffdb4269c0a9d9b814936c18b85373aa877');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 1 pinUvAuthParam (first 16)
export const P1_AUTH_PARAM = fromHex('8d4bb4e328427041bfd1e3dd70b1fffd');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 2 IV
export const P2_IV = fromHex('3672a1bc264e2cef5f647aff51100b15');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 2 IV ‖ ciphertext
export const P2_CIPHERTEXT = fromHex(
  '3672a1bc264e2cef5f647aff51100b15c2cdbe642fe446d1e7eb6cf52ef5268b616d1d2720c5b0d05195d0ab3b07a248a2f99930060ad3ce58a89824928050a93aa453ca66a8feade0333721dbf1b966',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol 2 HMAC(mKs, IV ‖ ct)
export const P2_HMAC = fromHex('6572fe937c1c04fb68b5a91408f9058246a6650013fe8dc023c5eec130f01a28');

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 Set PIN request (new PIN is "passwordsAreBad", not "123456" as the text says)
export const SET_PIN_REQUEST = fromHex(
  '06a50102020303a501020338182001215820003a0bc15db601a238e891db21ca5f71eab98c8e05bf4e318daf471ea6e76dab2258203e303d19dcf2147db8d4ee0d932b0a0308ca55d69cf021c1c7e111d0cdc59efe0458206572fe937c1c04fb68b5a91408f9058246a6650013fe8dc023c5eec130f01a280558503672a1bc264e2cef5f647aff51100b15c2cdbe642fe446d1e7eb6cf52ef5268b616d1d2720c5b0d05195d0ab3b07a248a2f99930060ad3ce58a89824928050a93aa453ca66a8feade0333721dbf1b966',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 Change PIN request ("123456" → "09876")
export const CHANGE_PIN_REQUEST = fromHex(
  '06a60102020403a501020338182001215820003a0bc15db601a238e891db21ca5f71eab98c8e05bf4e318daf471ea6e76dab2258203e303d19dcf2147db8d4ee0d932b0a0308ca55d69cf021c1c7e111d0cdc59efe045820d6b8d7cf32879f9515ac310a3a99cf6ec025644e921745aba8a34be20faa17e70558504b41b0af9beecf165e9a1f4abc852fe81441cf87ab46a5de55b752c5203498c14e8d0f52be4ec1ac731e1e1fb99c00bf0fc8a768b40a95a7b1f2dd907f3af35f2cc4f3a3aa00b3f5267623e624f33ebc0658206af8b75c50296805d34fc6326956ca20708f38d17a782ffdd1a537d221eecb3e',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 Change PIN pinHashEnc
export const CHANGE_PIN_PIN_HASH_ENC = fromHex(
  '6af8b75c50296805d34fc6326956ca20708f38d17a782ffdd1a537d221eecb3e',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 Change PIN newPinEnc
export const CHANGE_PIN_NEW_PIN_ENC = fromHex(
  '4b41b0af9beecf165e9a1f4abc852fe81441cf87ab46a5de55b752c5203498c14e8d0f52be4ec1ac731e1e1fb99c00bf0fc8a768b40a95a7b1f2dd907f3af35f2cc4f3a3aa00b3f5267623e624f33ebc',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 Change PIN pinUvAuthParam
export const CHANGE_PIN_AUTH_PARAM = fromHex(
  'd6b8d7cf32879f9515ac310a3a99cf6ec025644e921745aba8a34be20faa17e7',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 getPinToken request
export const GET_PIN_TOKEN_REQUEST = fromHex(
  '06a40102020503a501020338182001215820003a0bc15db601a238e891db21ca5f71eab98c8e05bf4e318daf471ea6e76dab2258203e303d19dcf2147db8d4ee0d932b0a0308ca55d69cf021c1c7e111d0cdc59efe0658206af8b75c50296805d34fc6326956ca20708f38d17a782ffdd1a537d221eecb3e',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 getPinUvAuthTokenUsingPinWithPermissions request (permissions 0x18)
export const GET_TOKEN_WITH_PERMISSIONS_REQUEST = fromHex(
  '06a50102020903a501020338182001215820003a0bc15db601a238e891db21ca5f71eab98c8e05bf4e318daf471ea6e76dab2258203e303d19dcf2147db8d4ee0d932b0a0308ca55d69cf021c1c7e111d0cdc59efe0658206af8b75c50296805d34fc6326956ca20708f38d17a782ffdd1a537d221eecb3e091818',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 getPinToken response (status ‖ CBOR)
export const GET_PIN_TOKEN_RESPONSE = fromHex(
  '00a1025830387d215a2ff31e31b0520c7ea5ed2e07777861b34f890b385746cc8278d7bee0626c2007ca2fb6f9c89ca60725f97cb6',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/PinUvAuthnProtocol2.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 PUAT (decrypted token)
export const PIN_UV_AUTH_TOKEN = fromHex(
  '0125fecfd8bf3f679bd9ec221324baa74f3cade0314b4fba8029500a320612ad',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 enableEnterpriseAttestation pinUvAuthParam
export const CONFIG_ENABLE_EA_PARAM = fromHex(
  '4e724bc8af8776d0e92a3961c28bf9980b7b3962c610ba7abf07c74a0972b074',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 enableEnterpriseAttestation request (command byte 0x0d first)
export const CONFIG_ENABLE_EA_REQUEST = fromHex(
  '0da3010103020458204e724bc8af8776d0e92a3961c28bf9980b7b3962c610ba7abf07c74a0972b074',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 toggleAlwaysUv message
export const CONFIG_TOGGLE_ALWAYS_UV_MESSAGE = fromHex(
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0d02',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 toggleAlwaysUv pinUvAuthParam
export const CONFIG_TOGGLE_ALWAYS_UV_PARAM = fromHex(
  '40d0d64f5030fa46d8e27c1bb358d5eb7b0da88fd4955b83ed19335bb35d886c',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 toggleAlwaysUv request, corrected to subCommand 2 (derived; published bytes say 1)
export const CONFIG_TOGGLE_ALWAYS_UV_REQUEST = fromHex(
  '0da30102030204582040d0d64f5030fa46d8e27c1bb358d5eb7b0da88fd4955b83ed19335bb35d886c',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 setMinPINLength subCommandParams {1: 6, 2: ["example.com", "enterprise.com"], 3: true}
export const CONFIG_SET_MIN_PIN_LENGTH_PARAMS = fromHex(
  'a3010602826b6578616d706c652e636f6d6e656e74657270726973652e636f6d03f5',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 setMinPINLength message (subCommand 3)
export const CONFIG_SET_MIN_PIN_LENGTH_MESSAGE = fromHex(
  'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff0d03a3010602826b6578616d706c652e636f6d6e656e74657270726973652e636f6d03f5',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 setMinPINLength pinUvAuthParam, corrected to subCommand 3 (derived)
export const CONFIG_SET_MIN_PIN_LENGTH_PARAM = fromHex(
  '7ae02023d4e0add46cfb37615526e21e6d688592ac8af4c993da41c88c9b3b16',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 setMinPINLength pinUvAuthParam as published (HMAC over subCommand 1)
export const CONFIG_SET_MIN_PIN_LENGTH_PARAM_AS_PUBLISHED = fromHex(
  '450acdb5fe618880d1774295f2723cb5d0ecc0ddbd7e35a4b651b501fd1f8f65',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 setMinPINLength request, corrected to subCommand 3 (derived)
export const CONFIG_SET_MIN_PIN_LENGTH_REQUEST = fromHex(
  '0da4010302a3010602826b6578616d706c652e636f6d6e656e74657270726973652e636f6d03f503020458207ae02023d4e0add46cfb37615526e21e6d688592ac8af4c993da41c88c9b3b16',
);

// WebauthnWorks/CTAP2.1-Migration-Guide:Protocol/AuthenticatorConfig.md@e3c8dd460b90e3e0c64c1cabaf9fe8ed4a564816 protocol-1 pinUvAuthParams for subCommands 1, 2, 3 with the same PUAT (derived)
export const CONFIG_P1_PARAMS = [
  '4e724bc8af8776d0e92a3961c28bf998',
  '40d0d64f5030fa46d8e27c1bb358d5eb',
  '7ae02023d4e0add46cfb37615526e21e',
].map((h) => fromHex(h));
