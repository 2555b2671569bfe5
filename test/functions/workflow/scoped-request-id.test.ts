import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bulkRequestId, ownRequestId } from '../../../functions/workflow/scoped-request-id.ts';

const REQUEST_ID = /^[A-Za-z0-9-]{8,64}$/;
const key = fc.stringMatching(/^[A-Za-z0-9._~-]{8,64}$/);
const oid = fc.uuid();

describe('request ids minted from a scope and a key', () => {
  it('gives one person the same id for the same key, whatever the case of their object id', () => {
    fc.assert(
      fc.property(oid, key, (person, k) => {
        const id = ownRequestId(person, k);
        expect(id).toMatch(REQUEST_ID);
        expect(ownRequestId(person.toUpperCase(), k)).toBe(id);
      }),
    );
  });

  it('never lets a key name another person’s request, nor a request id name itself', () => {
    fc.assert(
      fc.property(oid, oid, key, (a, b, k) => {
        fc.pre(a.toLowerCase() !== b.toLowerCase());
        expect(ownRequestId(a, k)).not.toBe(ownRequestId(b, k));
        // Sending someone's minted id back as a key mints a different id.
        const theirs = ownRequestId(b, k);
        expect(ownRequestId(a, theirs)).not.toBe(theirs);
      }),
    );
  });

  it('keeps the bulk ids already stored for earlier batches', () => {
    // The digest the bulk API has always used: batch, NUL, the user's id in lower case.
    const earlier = `bulk-${createHash('sha256').update('batch-1\u0000maja@fabrikam.example').digest('hex').slice(0, 32)}`;
    expect(bulkRequestId('batch-1', 'Maja@Fabrikam.example')).toBe(earlier);
    expect(bulkRequestId('batch-1', 'maja@fabrikam.example')).toBe(
      'bulk-ab7efef8b967647f39277a73a3448134',
    );
  });
});
