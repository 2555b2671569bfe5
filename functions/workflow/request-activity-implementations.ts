import type { CourierServices } from '../courier-services.ts';
import { enqueueJob } from './activities/enqueue-job-activity.ts';
import { prefetchOptions } from './activities/prefetch-options-activity.ts';
import { recordTransition } from './activities/record-transition-activity.ts';
import { registerCredential } from './activities/register-credential-activity.ts';
import { fallbackApprovers, resolveApprovers } from './activities/resolve-approvers-activity.ts';
import { revokeCredential } from './activities/revoke-credential-activity.ts';
import { settleJob } from './activities/settle-job-activity.ts';
import type { RequestActivityIO, RequestActivityKey } from './request-activities.ts';

/**
 * The implementation of every activity in the table, checked against its contract: a missing
 * activity, or one whose input or result differs from what the orchestrator expects, is a type
 * error here rather than a failed replay.
 */
export const requestActivityImplementations: {
  [K in RequestActivityKey]: (
    input: RequestActivityIO[K]['input'],
    services: CourierServices,
  ) => Promise<RequestActivityIO[K]['output']>;
} = {
  ResolveApprovers: resolveApprovers,
  FallbackApprovers: fallbackApprovers,
  Record: recordTransition,
  EnqueueJob: enqueueJob,
  PrefetchOptions: prefetchOptions,
  Register: registerCredential,
  SettleJob: settleJob,
  Revoke: revokeCredential,
};
