import { CborMapReader } from '../../core/cbor/cbor-map-reader.ts';
import type { CborInput, CborValue } from '../../core/cbor/cbor-value.ts';

/** PublicKeyCredentialRpEntity as CTAP carries it. */
export interface RelyingPartyEntity {
  id: string;
  name?: string;
}

/** PublicKeyCredentialUserEntity as CTAP carries it; `id` is the raw user handle (≤ 64 bytes). */
export interface UserEntity {
  id: Uint8Array;
  name?: string;
  displayName?: string;
}

export interface CredentialParameters {
  type: string;
  alg: number;
}

export interface CredentialDescriptor {
  type: string;
  id: Uint8Array;
  transports?: string[];
}

export function encodeRp(rp: RelyingPartyEntity): CborInput {
  return { id: rp.id, name: rp.name };
}

export function encodeUser(user: UserEntity): CborInput {
  return { id: user.id, name: user.name, displayName: user.displayName };
}

export function encodeDescriptor(descriptor: CredentialDescriptor): CborInput {
  return { id: descriptor.id, type: descriptor.type, transports: descriptor.transports };
}

export function parseRp(value: CborValue | undefined, context: string): RelyingPartyEntity {
  const r = new CborMapReader(value, context);
  const rp: RelyingPartyEntity = { id: r.text('id', 'id') };
  const name = r.optionalText('name', 'name');
  if (name !== undefined) rp.name = name;
  return rp;
}

export function parseUser(value: CborValue | undefined, context: string): UserEntity {
  const r = new CborMapReader(value, context);
  const user: UserEntity = { id: r.bytes('id', 'id') };
  const name = r.optionalText('name', 'name');
  const displayName = r.optionalText('displayName', 'displayName');
  if (name !== undefined) user.name = name;
  if (displayName !== undefined) user.displayName = displayName;
  return user;
}

export function parseDescriptor(
  value: CborValue | undefined,
  context: string,
): CredentialDescriptor {
  const r = new CborMapReader(value, context);
  const descriptor: CredentialDescriptor = {
    type: r.text('type', 'type'),
    id: r.bytes('id', 'id'),
  };
  const transports = r.optionalTextArray('transports', 'transports');
  if (transports !== undefined) descriptor.transports = transports;
  return descriptor;
}
