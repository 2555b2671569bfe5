// Fixtures from MichaelGrafnetter/webauthn-interop (DSInternals.Win32.WebAuthn), which talks to
// Microsoft Entra ID through Graph, and the credential ids reported in its issues.

import { fromHex } from '../../core/bytes.ts';

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 CollectedClientData_Serialize_Vector1 (challenge 0102030405, origin https://login.microsoft.com)
export const ENTRA_CLIENT_DATA_JSON =
  '{"type":"webauthn.create","challenge":"AQIDBAU","origin":"https://login.microsoft.com","crossOrigin":false}';

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 CollectedClientData_Serialize_Vector1 SHA-256 (derived)
export const ENTRA_CLIENT_DATA_HASH = fromHex(
  '246dd8a88bde784c6d354693191c1a38da0a9aefcbddc2bb58cb4464816bec85',
);

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 deserialize vector without crossOrigin
export const DESERIALIZE_NO_CROSS_ORIGIN =
  '{"type":"webauthn.create","challenge":"FsxBWwUb1jOFRA3ILdkCsPdCZkzohvd3JrCNeDqWpJQ","origin":"http://localhost:8080"}';

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 its challenge bytes
export const DESERIALIZE_NO_CROSS_ORIGIN_CHALLENGE = fromHex(
  '16cc415b051bd63385440dc82dd902b0f742664ce886f77726b08d783a96a494',
);

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 deserialize vector with members in another order
export const DESERIALIZE_OTHER_ORDER =
  '{"challenge":"qNqrdXUrk5S7dCM1MAYH3qSVDXznb-6prQoGqiACR10","origin":"https://demo.yubico.com","type":"webauthn.create"}';

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/FIDO/CollectedClientDataTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 its challenge bytes
export const DESERIALIZE_OTHER_ORDER_CHALLENGE = fromHex(
  'a8daab75752b9394bb742335300607dea4950d7ce76feea9ad0a06aa2002475d',
);

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/MicrosoftGraphWebauthnCredentialCreationOptionsTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 user.id
export const GRAPH_USER_ID = 'T0Y6mho3vwFprE6aslBq9b2Qjz7Ixbn0PntEPkHirHimyfAtmz4xoilu6sNoiPFkmvxW';

// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/MicrosoftGraphWebauthnCredentialCreationOptionsTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 user.id decoded
export const GRAPH_USER_ID_BYTES = fromHex(
  '4f463a9a1a37bf0169ac4e9ab2506af5bd908f3ec8c5b9f43e7b443e41e2ac78a6c9f02d9b3e31a2296eeac36888f1649afc56',
);

/** excludeCredentials ids as Graph sends them: standard base64 with `+`, `/` and `=` padding. */
// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/MicrosoftGraphWebauthnCredentialCreationOptionsTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 excludeCredentials[].id
export const GRAPH_EXCLUDE_IDS: { text: string; bytes: Uint8Array }[] = [
  {
    text: 'TZ2KrDEawbrIGQsnheGZ/BG9Nfnb7blSGwQYMGyJIhM=',
    bytes: fromHex('4d9d8aac311ac1bac8190b2785e199fc11bd35f9dbedb9521b0418306c892213'),
  },
  {
    text: 'g/V3JMewxqZaKD8mRpB2pTTl3SBnOR6gZEw/URDlB4o=',
    bytes: fromHex('83f57724c7b0c6a65a283f26469076a534e5dd2067391ea0644c3f5110e5078a'),
  },
  { text: 'GshyINLMaOOwqt1LNUi0gQ==', bytes: fromHex('1ac87220d2cc68e3b0aadd4b3548b481') },
  {
    text: '9ccVagkzE02vPo+qoonYDv8FoREd9QYOn8RFSsbLr8Y=',
    bytes: fromHex('f5c7156a0933134daf3e8faaa289d80eff05a1111df5060e9fc4454ac6cbafc6'),
  },
];

/**
 * Ids in .NET's "padding number suffix" form: base64url with the `=` count appended as a digit.
 * `plain` is what a plain base64url reading gives (undefined when that reading is impossible).
 */
// MichaelGrafnetter/webauthn-interop:Src/DSInternals.Win32.WebAuthn.Tests/PublicKeyCredentialCreationOptionsTester.cs@2d23b60336c2bfd95dacb02229fdd7749d8b7f35 EntraIdPublicKeyCredentialCreationOptions_Deserialize, issues #21/#28
export const PADDING_DIGIT_IDS: { text: string; suffixReading: Uint8Array; plain?: Uint8Array }[] =
  [
    // EntraIdPublicKeyCredentialCreationOptions_Deserialize
    {
      text: 'prXptqCfm_ohEAcE2Jw6CUtUb4uWpb2vaS-cFB82ruMhcIRAE17S0g1bkPjtsC6S0',
      suffixReading: fromHex(
        'a6b5e9b6a09f9bfa21100704d89c3a094b546f8b96a5bdaf692f9c141f36aee321708440135ed2d20d5b90f8edb02e92',
      ),
    },
    // EntraIdPublicKeyCredentialCreationOptions_Deserialize (ambiguous: also valid plain base64url)
    {
      text: 'MMeD8wrNCZ-0hbfdYvvAIzrsrTGd_uXdt2iXbYlGJSs1',
      suffixReading: fromHex('30c783f30acd099fb485b7dd62fbc0233aecad319dfee5ddb768976d8946252b'),
      plain: fromHex('30c783f30acd099fb485b7dd62fbc0233aecad319dfee5ddb768976d8946252b35'),
    },
    // EntraIdPublicKeyCredentialCreationOptions_Deserialize
    {
      text: 'owBYhYk51YPpOdLDJ-mcaIFdZVcCZ63YFogBU0VyJ42UkiptLxN5l7ZkRu4KtEo4XFJfJcahJ5C5uTj4YKxTmeISUiuOSgtBHlUh_RndhweyQJ8UY3HWwqvN57T3cvqXy_nG2VsR-Gw2upzNUW4LHGFjfSXj3rEe3B6KltliX1c68aDqDh3dquwBTAK9roaQzq3XZBZT_AJQKX2qop1j1Fh2-xOdeFR7aQ2',
      suffixReading: fromHex(
        'a30058858939d583e939d2c327e99c68815d65570267add8168801534572278d94922a6d2f137997b66446ee0ab44a385c525f25c6a12790b9b938f860ac5399e212522b8e4a0b411e5521fd19dd8707b2409f146371d6c2abcde7b4f772fa97cbf9c6d95b11f86c36ba9ccd516e0b1c61637d25e3deb11edc1e8a96d9625f573af1a0ea0e1dddaaec014c02bdae8690ceadd7641653fc0250297daaa29d63d45876fb139d78547b69',
      ),
      plain: fromHex(
        'a30058858939d583e939d2c327e99c68815d65570267add8168801534572278d94922a6d2f137997b66446ee0ab44a385c525f25c6a12790b9b938f860ac5399e212522b8e4a0b411e5521fd19dd8707b2409f146371d6c2abcde7b4f772fa97cbf9c6d95b11f86c36ba9ccd516e0b1c61637d25e3deb11edc1e8a96d9625f573af1a0ea0e1dddaaec014c02bdae8690ceadd7641653fc0250297daaa29d63d45876fb139d78547b690d',
      ),
    },
    // https://github.com/MichaelGrafnetter/webauthn-interop/issues/21 (live Entra tenant)
    {
      text: 'XDjx9wXDrVWBmE2MbPSkXdeMERfv6gN98uxavJ0ZrSyT8jYUs2BHKjAmh4P_T3Av0',
      suffixReading: fromHex(
        '5c38f1f705c3ad5581984d8c6cf4a45dd78c1117efea037df2ec5abc9d19ad2c93f23614b360472a30268783ff4f702f',
      ),
    },
  ];
