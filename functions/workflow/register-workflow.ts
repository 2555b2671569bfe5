import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { courierServices, type CourierServices } from '../courier-services.ts';
import { invocationLogger } from '../log/courier-logger.ts';
import { sweepLostStations } from '../api/sweep-lost-stations.ts';
import { enqueueJob } from './activities/enqueue-job-activity.ts';
import { prefetchOptions } from './activities/prefetch-options-activity.ts';
import { recordTransition } from './activities/record-transition-activity.ts';
import { registerCredential } from './activities/register-credential-activity.ts';
import { fallbackApprovers, resolveApprovers } from './activities/resolve-approvers-activity.ts';
import { revokeCredential } from './activities/revoke-credential-activity.ts';
import { settleJob } from './activities/settle-job-activity.ts';
import { LOST_KEY_ORCHESTRATION, lostKeyOrchestration } from './lost-key-orchestration.ts';
import { RequestActivity } from './request-activities.ts';
import { RequestEvent } from './request-events.ts';
import { REQUEST_ORCHESTRATION, requestOrchestration } from './request-orchestration.ts';

/** An activity: its input (built by our own orchestration) and the services. Failures are logged and rethrown for Durable to retry. */
function activity<I, O>(
  name: string,
  run: (input: I, services: CourierServices) => Promise<O>,
): void {
  df.app.activity(name, {
    handler: async (input: unknown, context: InvocationContext) => {
      try {
        return await run(input as I, await courierServices());
      } catch (error) {
        invocationLogger(context).warn('activity-failed', { activity: name, error });
        throw error;
      }
    },
  });
}

/** Registers the orchestrations, their activities, and the lost-station sweep. */
export function registerWorkflow(): void {
  df.app.orchestration(REQUEST_ORCHESTRATION, requestOrchestration);
  df.app.orchestration(LOST_KEY_ORCHESTRATION, lostKeyOrchestration);
  activity(RequestActivity.ResolveApprovers, resolveApprovers);
  activity(RequestActivity.FallbackApprovers, fallbackApprovers);
  activity(RequestActivity.Record, recordTransition);
  activity(RequestActivity.EnqueueJob, enqueueJob);
  activity(RequestActivity.PrefetchOptions, prefetchOptions);
  activity(RequestActivity.Register, registerCredential);
  activity(RequestActivity.SettleJob, settleJob);
  activity(RequestActivity.Revoke, revokeCredential);
  // Stations that die after registration are found here even when no station calls in.
  app.timer('courier-lost-station-sweep', {
    schedule: '0 */1 * * * *',
    extraInputs: [df.input.durableClient()],
    handler: async (_timer: Timer, context: InvocationContext) => {
      const client = df.getClient(context);
      const told = await sweepLostStations(await courierServices(), (job, event) =>
        client.raiseEvent(job.instanceId, RequestEvent.StationLost, event),
      );
      if (told > 0) invocationLogger(context).info('lost-stations', { told });
    },
  });
}
