import { randomUUID } from 'node:crypto';
import { rename, writeFile } from 'node:fs/promises';
import { GraphError } from '../../core/graph/graph-error.ts';
import type { GraphGateway } from '../../core/graph/graph-gateway.ts';
import type { DirectoryUser } from '../../core/graph/schemas/directory-user-schema.ts';
import type { KeyClass } from '../../core/request/key-class.ts';
import type { KeyPrompts } from '../provision/key-prompts.ts';
import type { OpenKey } from '../provision/key-slot.ts';
import { provisionKey } from '../provision/provision-key.ts';
import { emptyResult, type BulkResult, type BulkRow } from './bulk-rows.ts';
import { DirectProvisionService } from './direct-service.ts';
import { renderPinLetters, sealPinLetters, type PinLetter } from './pin-letters.ts';

export interface DirectBulkOptions {
  gateway: GraphGateway;
  /** Rows still to do (the caller has already skipped those an earlier run finished). */
  rows: readonly BulkRow[];
  /** The models this run may program, and their minimum firmware. */
  keyClass: KeyClass;
  attestationRoots: string[];
  /** The IT admin's ASCII-armored OpenPGP public key: the letters are written only encrypted to it. */
  lettersPublicKey: string;
  /** Where the sealed letters of this run go (written again, whole, after every key). */
  lettersPath: string;
  dryRun: boolean;
  minPinLength?: number;
  /** A fresh key for this user, plugged in; given back with `release` once programmed. */
  nextKey(row: BulkRow, user: DirectoryUser): Promise<OpenKey>;
  release?(key: OpenKey): Promise<void>;
  prompts: KeyPrompts;
  /** Called with each row's result as soon as it is known (the caller writes the results file). */
  record(result: BulkResult): Promise<void>;
}

/**
 * `station bulk --direct`: for each row, the preflight through the gateway (the user exists; the
 * passkey policy lets them register every model of the key class), then, unless it is a dry run,
 * the station's own per-key pipeline with the station itself as the service (DirectProvisionService):
 * straight to Graph, the sign-in check verified locally. A credential registered before a later
 * step failed is deleted again. Each PIN goes only into the sealed letters, which are re-encrypted
 * whole after every key so an interrupted run loses no PIN of a registered key.
 */
export async function runDirectBulk(options: DirectBulkOptions): Promise<{ letters: number }> {
  const { gateway } = options;
  const service = new DirectProvisionService(gateway);
  const letters: PinLetter[] = [];
  try {
    for (const row of options.rows) {
      const base = emptyResult(row);
      let user: DirectoryUser;
      try {
        user = await gateway.getUser(row.user);
        const problems: string[] = [];
        for (const aaguid of options.keyClass.allowedAaguids) {
          const verdict = await gateway.preflight(user.id, aaguid);
          if (!verdict.allowed)
            problems.push(...verdict.problems.map((p) => `${aaguid}: ${p.message}`));
        }
        if (problems.length > 0) {
          await options.record({ ...base, error: `POLICY: ${problems.join('; ')}` });
          continue;
        }
      } catch (error) {
        await options.record({ ...base, error: describe(error) });
        continue;
      }
      if (options.dryRun) {
        await options.record({ ...base, status: 'would-start' });
        continue;
      }
      const job = {
        jobId: `direct-${row.row}-${randomUUID()}`,
        requestId: `direct-${row.row}`,
        keyClass: options.keyClass,
        recipient: {
          displayName: user.displayName ?? row.user,
          userPrincipalName: user.userPrincipalName ?? row.user,
          ...(row.shippingAddress ? { shippingAddress: row.shippingAddress } : {}),
        },
        approvedAt: new Date().toISOString(),
        attempts: 0,
        state: 'leased' as const,
      };
      service.begin(job, user.id);
      const key = await options.nextKey(row, user);
      try {
        const result = await provisionKey({
          key,
          job,
          leaseId: 'direct',
          service,
          prompts: options.prompts,
          attestationRoots: options.attestationRoots,
          ...(options.minPinLength ? { minPinLength: options.minPinLength } : {}),
        });
        const pin = service.takePin(job.jobId)!;
        letters.push({
          displayName: job.recipient.displayName,
          userPrincipalName: job.recipient.userPrincipalName,
          ...(row.shippingAddress ? { shippingAddress: row.shippingAddress } : {}),
          keySerial: result.serial,
          pin,
        });
        await writeSealedLetters(letters, options);
        await options.record({
          ...base,
          status: 'registered',
          serial: result.serial === undefined ? '' : String(result.serial),
          aaguid: result.aaguid,
          credentialId: result.credentialId,
          methodId: result.methodId,
        });
        await options.release?.(result.key);
      } catch (error) {
        const registered = service.registeredMethod(job.jobId);
        service.forget(job.jobId);
        if (registered) {
          // Nothing half-registered stays behind: the key's PIN is in no letter.
          await gateway
            .deleteFido2Method(registered.userId, registered.methodId)
            .catch(() => undefined);
        }
        await options.record({ ...base, error: describe(error) });
        await options.release?.(key);
      }
    }
  } finally {
    for (const letter of letters) letter.pin = '';
  }
  return { letters: letters.length };
}

/** Renders and encrypts the letters in memory, then replaces the file atomically (0600). */
async function writeSealedLetters(
  letters: readonly PinLetter[],
  options: Pick<DirectBulkOptions, 'lettersPath' | 'lettersPublicKey'>,
): Promise<void> {
  const pdf = await renderPinLetters(letters, new Date());
  try {
    const sealed = await sealPinLetters(pdf, options.lettersPublicKey);
    const partial = `${options.lettersPath}.partial`;
    await writeFile(partial, sealed, { mode: 0o600 });
    await rename(partial, options.lettersPath);
  } finally {
    pdf.fill(0);
  }
}

function describe(error: unknown): string {
  if (error instanceof GraphError || (error instanceof Error && 'code' in error))
    return `${String((error as { code: unknown }).code)}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
