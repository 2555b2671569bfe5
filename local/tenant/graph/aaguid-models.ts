/**
 * Model names Entra shows for a few authenticators, by AAGUID. Entra takes them from the FIDO
 * Metadata Service; this table holds the software key and some YubiKey 5 series entries from
 * Yubico's published AAGUID list. Unknown AAGUIDs get no model, as with keys absent from MDS.
 */
const MODELS: ReadonlyMap<string, string> = new Map([
  ['6e8b3c2a-5d1f-4f7e-9a0c-2b4d6f8a1c3e', 'Passkey Courier Software Key'],
  ['cb69481e-8ff7-4039-93ec-0a2729a154a8', 'YubiKey 5 Series'],
  ['ee882879-721c-4913-9775-3dfcce97072a', 'YubiKey 5 Series'],
  ['2fc0579f-8113-47ea-b116-bb5a8db9202a', 'YubiKey 5 Series with NFC'],
  ['73bb0cd4-e502-49b8-9c6f-b59445bf720b', 'YubiKey 5 FIPS Series'],
  ['c1f9a0bc-1dd2-404a-b27f-8e29047a43fd', 'YubiKey 5 FIPS Series with NFC'],
]);

export function modelForAaguid(aaguid: string): string | null {
  return MODELS.get(aaguid.toLowerCase()) ?? null;
}
