import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../../core/bytes.ts';
import { encodeCanonical } from '../../../core/cbor/canonical-cbor.ts';
import type { CborInput } from '../../../core/cbor/cbor-value.ts';
import { AuthenticatorConfig } from '../../../station/ctap/authenticator-config.ts';
import {
  ConfigSubCommand,
  SetMinPinLengthParam,
  configAuthMessage,
  encodeConfigRequest,
} from '../../../station/ctap/config-command.ts';
import { CtapHidDevice } from '../../../station/ctap/ctap-hid-device.ts';
import { Ctap2 } from '../../../station/ctap/ctap2.ts';
import { MessageAssembler, parsePacket } from '../../../station/ctap/ctaphid-framing.ts';
import { PinUvAuthProtocolOne } from '../../../station/ctap/pin-uv-auth-protocol-one.ts';
import { PinUvAuthProtocolTwo } from '../../../station/ctap/pin-uv-auth-protocol-two.ts';
import { PinUvAuthToken } from '../../../station/ctap/pin-uv-auth-token.ts';
import { ReplayConnection } from '../../support/replay-connection.ts';
import * as guide from '../../vectors/ctap21-migration-guide.ts';
import { CBOR_STATUS_PACKETS, CTAP_INIT } from '../../vectors/libfido2-wiredata.ts';
import { CONFIG_SET_MIN_PIN_LENGTH_MESSAGE } from '../../vectors/python-fido2.ts';

const PUAT = guide.PIN_UV_AUTH_TOKEN;
const FF32 = 'ff'.repeat(32);
const tokenV2 = (): PinUvAuthToken => new PinUvAuthToken(new PinUvAuthProtocolTwo(), PUAT);

/** The Migration Guide's setMinPINLength parameters. */
const GUIDE_PARAMS = new Map<number, CborInput>([
  [SetMinPinLengthParam.newMinPinLength, 6],
  [SetMinPinLengthParam.minPinLengthRpIds, ['example.com', 'enterprise.com']],
  [SetMinPinLengthParam.forceChangePin, true],
]);

describe('configAuthMessage (32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams)', () => {
  it('builds the enableEnterpriseAttestation and toggleAlwaysUv messages', () => {
    expect(toHex(configAuthMessage(ConfigSubCommand.ENABLE_ENTERPRISE_ATTESTATION))).toBe(
      `${FF32}0d01`,
    );
    expect(toHex(configAuthMessage(ConfigSubCommand.TOGGLE_ALWAYS_UV))).toBe(
      toHex(guide.CONFIG_TOGGLE_ALWAYS_UV_MESSAGE),
    );
  });

  it('builds the setMinPINLength message over the canonical parameters', () => {
    const params = encodeCanonical(GUIDE_PARAMS);
    expect(toHex(params)).toBe(toHex(guide.CONFIG_SET_MIN_PIN_LENGTH_PARAMS));
    expect(toHex(configAuthMessage(ConfigSubCommand.SET_MIN_PIN_LENGTH, params))).toBe(
      toHex(guide.CONFIG_SET_MIN_PIN_LENGTH_MESSAGE),
    );
  });

  it('builds python-fido2 set_min_pin_length(6, force_change_pin=False): ff×32 0d 03 a2 01 06 03 f4', () => {
    const params = new Map<number, CborInput | undefined>([
      [SetMinPinLengthParam.newMinPinLength, 6],
      [SetMinPinLengthParam.minPinLengthRpIds, undefined],
      [SetMinPinLengthParam.forceChangePin, false],
    ]);
    const message = configAuthMessage(ConfigSubCommand.SET_MIN_PIN_LENGTH, encodeCanonical(params));
    expect(toHex(message)).toBe(toHex(CONFIG_SET_MIN_PIN_LENGTH_MESSAGE));
    expect(toHex(message)).toBe(`${FF32}0d03a2010603f4`);
  });
});

describe('pinUvAuthParam for authenticatorConfig (Migration Guide, corrected)', () => {
  it.each([
    ['enableEnterpriseAttestation', configAuthMessage(1), guide.CONFIG_ENABLE_EA_PARAM],
    ['toggleAlwaysUv', configAuthMessage(2), guide.CONFIG_TOGGLE_ALWAYS_UV_PARAM],
    [
      'setMinPINLength',
      guide.CONFIG_SET_MIN_PIN_LENGTH_MESSAGE,
      guide.CONFIG_SET_MIN_PIN_LENGTH_PARAM,
    ],
  ])('authenticates %s with the full 32-byte HMAC under protocol 2', (_name, message, expected) => {
    expect(toHex(tokenV2().authenticate(message))).toBe(toHex(expected));
  });

  it('shows the published setMinPINLength MAC was computed over subCommand 1, not 3', () => {
    const params = guide.CONFIG_SET_MIN_PIN_LENGTH_PARAMS;
    const withSubCommand1 = tokenV2().authenticate(configAuthMessage(1, params));
    expect(toHex(withSubCommand1)).toBe(toHex(guide.CONFIG_SET_MIN_PIN_LENGTH_PARAM_AS_PUBLISHED));
    expect(toHex(tokenV2().authenticate(configAuthMessage(3, params)))).not.toBe(
      toHex(guide.CONFIG_SET_MIN_PIN_LENGTH_PARAM_AS_PUBLISHED),
    );
  });

  it('truncates the same MACs to 16 bytes under protocol 1', () => {
    const token = new PinUvAuthToken(new PinUvAuthProtocolOne(), PUAT);
    const messages = [
      configAuthMessage(1),
      configAuthMessage(2),
      guide.CONFIG_SET_MIN_PIN_LENGTH_MESSAGE,
    ];
    expect(messages.map((m) => toHex(token.authenticate(m)))).toEqual(
      guide.CONFIG_P1_PARAMS.map(toHex),
    );
  });
});

describe('authenticatorConfig request encoding', () => {
  it.each([
    [
      'enableEnterpriseAttestation',
      1,
      undefined,
      guide.CONFIG_ENABLE_EA_PARAM,
      guide.CONFIG_ENABLE_EA_REQUEST,
    ],
    [
      'toggleAlwaysUv',
      2,
      undefined,
      guide.CONFIG_TOGGLE_ALWAYS_UV_PARAM,
      guide.CONFIG_TOGGLE_ALWAYS_UV_REQUEST,
    ],
    [
      'setMinPINLength',
      3,
      GUIDE_PARAMS,
      guide.CONFIG_SET_MIN_PIN_LENGTH_PARAM,
      guide.CONFIG_SET_MIN_PIN_LENGTH_REQUEST,
    ],
  ])(
    'encodes %s as the corrected request',
    (_name, subCommand, subCommandParams, pinUvAuthParam, request) => {
      const encoded = encodeCanonical(
        encodeConfigRequest({ subCommand, subCommandParams, pinUvAuthProtocol: 2, pinUvAuthParam }),
      );
      expect(toHex(concatBytes([Uint8Array.of(0x0d), encoded]))).toBe(toHex(request));
    },
  );

  it('omits protocol and MAC when there is no PIN', () => {
    expect(toHex(encodeCanonical(encodeConfigRequest({ subCommand: 2 })))).toBe('a10102');
  });
});

describe('AuthenticatorConfig on the wire', () => {
  /** Opens a Ctap2 over a replayed key that answers INIT and then CTAP2_OK to every command. */
  async function replayedKey(): Promise<{ ctap: Ctap2; connection: ReplayConnection }> {
    const connection = new ReplayConnection((report) =>
      report[4] === 0x86 ? [CTAP_INIT] : report[4]! & 0x80 ? [CBOR_STATUS_PACKETS[0]!] : [],
    );
    const nonce = parsePacket(CTAP_INIT)!.data.slice(0, 8);
    const device = await CtapHidDevice.open(connection, { randomBytes: () => nonce });
    return { ctap: new Ctap2(device), connection };
  }

  /** The CTAPHID_CBOR message the host wrote, reassembled. */
  function sentMessage(connection: ReplayConnection): Uint8Array {
    const [first, ...rest] = connection.written.slice(1).map((r) => parsePacket(r)!);
    if (first?.kind !== 'init') throw new Error('no request written');
    const assembler = new MessageAssembler(first);
    for (const packet of rest) if (packet.kind === 'cont') assembler.add(packet);
    return assembler.payload;
  }

  it('sends setMinPinLength(6, forceChangePin false) with the MAC over the python-fido2 message', async () => {
    const { ctap, connection } = await replayedKey();
    await new AuthenticatorConfig(ctap, tokenV2()).setMinPinLength({
      minPinLength: 6,
      forceChangePin: false,
    });
    const mac = toHex(tokenV2().authenticate(CONFIG_SET_MIN_PIN_LENGTH_MESSAGE));
    expect(toHex(sentMessage(connection))).toBe(`0da4010302a2010603f40302045820${mac}`);
  });

  it('sends toggleAlwaysUv exactly as the corrected Migration Guide request', async () => {
    const { ctap, connection } = await replayedKey();
    await new AuthenticatorConfig(ctap, tokenV2()).toggleAlwaysUv();
    expect(toHex(sentMessage(connection))).toBe(toHex(guide.CONFIG_TOGGLE_ALWAYS_UV_REQUEST));
  });
});
