import { z } from 'zod';

/**
 * A value usable as an Azure Table PartitionKey or RowKey: at most 1 KiB (512 UTF-16 units; we
 * keep ids to 200), and none of the characters the service forbids in keys (`/`, `\`, `#`, `?`)
 * nor control characters. Ids from callers (job, request, record ids) are checked with this
 * before they reach a key, so a bad id is a clear validation error rather than a 400 from storage.
 */
export const tableKeySchema = z
  .string()
  .min(1)
  .max(200)
  .regex(
    // eslint-disable-next-line no-control-regex -- control characters are what it excludes
    /^[^/\\#?\u0000-\u001f\u007f-\u009f]+$/,
    'must not contain / \\ # ? or control characters',
  );
