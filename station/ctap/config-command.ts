import { concatBytes } from '../../core/bytes.ts';
import type { CborInput } from '../../core/cbor/cbor-value.ts';
import { Ctap2Command } from './ctap2-command.ts';

/** authenticatorConfig parameters (CTAP 2.1 §6.11). */
export const ConfigParam = {
  subCommand: 0x01,
  subCommandParams: 0x02,
  pinUvAuthProtocol: 0x03,
  pinUvAuthParam: 0x04,
} as const;

export const ConfigSubCommand = {
  ENABLE_ENTERPRISE_ATTESTATION: 0x01,
  TOGGLE_ALWAYS_UV: 0x02,
  SET_MIN_PIN_LENGTH: 0x03,
  VENDOR_PROTOTYPE: 0xff,
} as const;

export const SetMinPinLengthParam = {
  newMinPinLength: 0x01,
  minPinLengthRpIds: 0x02,
  forceChangePin: 0x03,
} as const;

export interface ConfigRequest {
  subCommand: number;
  /**
   * Subcommand parameters. The MAC covers their canonical encoding, which is deterministic, so the
   * bytes authenticated and the bytes sent are the same.
   */
  subCommandParams?: ReadonlyMap<number, CborInput | undefined>;
  pinUvAuthProtocol?: number;
  pinUvAuthParam?: Uint8Array;
}

/** The message authenticated by pinUvAuthParam: 32×0xFF ‖ 0x0D ‖ subCommand ‖ subCommandParams. */
export function configAuthMessage(subCommand: number, subCommandParams?: Uint8Array): Uint8Array {
  return concatBytes([
    new Uint8Array(32).fill(0xff),
    Uint8Array.of(Ctap2Command.CONFIG, subCommand),
    subCommandParams ?? new Uint8Array(0),
  ]);
}

export function encodeConfigRequest(request: ConfigRequest): CborInput {
  const P = ConfigParam;
  return new Map<number, CborInput | undefined>([
    [P.subCommand, request.subCommand],
    [P.subCommandParams, request.subCommandParams],
    [P.pinUvAuthProtocol, request.pinUvAuthProtocol],
    [P.pinUvAuthParam, request.pinUvAuthParam],
  ]);
}
