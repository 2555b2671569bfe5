import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readBody } from '../../../functions/api/http-api.ts';

const schema = z.strictObject({ note: z.string() });

function post(body: string, headers: Record<string, string> = {}): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url: 'https://courier.example/api/requests',
    headers: { 'content-type': 'application/json', ...headers },
    body: { string: body },
  });
}

describe('reading a JSON body', () => {
  it('refuses a declared length over the limit before reading anything', async () => {
    // The body itself is small: only the declaration can have refused it.
    await expect(
      readBody(post('{"note":"hi"}', { 'content-length': String(300 * 1024) }), schema),
    ).rejects.toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
  });

  it('stops reading an undeclared body at the limit', async () => {
    const big = JSON.stringify({ note: 'x'.repeat(300 * 1024) });
    await expect(readBody(post(big), schema)).rejects.toMatchObject({
      status: 413,
      code: 'BODY_TOO_LARGE',
    });
  });

  it('reads a body within the limit', async () => {
    expect(await readBody(post('{"note":"hi"}', { 'content-length': '13' }), schema)).toEqual({
      note: 'hi',
    });
  });
});
