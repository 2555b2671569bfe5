import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { courierServices } from '../courier-services.ts';
import { invocationLogger } from '../log/courier-logger.ts';
import { registerActivity } from './activity-contract.ts';
import { LOST_KEY_ORCHESTRATION, lostKeyOrchestration } from './lost-key-orchestration.ts';
import { requestActivities, type RequestActivityKey } from './request-activities.ts';
import { requestActivityImplementations } from './request-activity-implementations.ts';
import { RequestEvent } from './request-events.ts';
import { REQUEST_ORCHESTRATION, requestOrchestration } from './request-orchestration.ts';
import { sweepLostStations } from './sweep-lost-stations.ts';

/** Registers the orchestrations, every activity of the table, and the lost-station sweep. */
export function registerWorkflow(): void {
  df.app.orchestration(REQUEST_ORCHESTRATION, requestOrchestration);
  df.app.orchestration(LOST_KEY_ORCHESTRATION, lostKeyOrchestration);
  for (const key of Object.keys(requestActivities) as RequestActivityKey[]) {
    registerOne(key);
  }
  // Stations that die after registration are found here even when no station calls in (a station
  // that calls in sweeps too). Every 15 minutes, not every minute: on Flex Consumption each tick
  // starts an instance, and an idle deployment must be able to scale to zero between them.
  app.timer('courier-lost-station-sweep', {
    schedule: '0 */15 * * * *',
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

function registerOne<K extends RequestActivityKey>(key: K): void {
  const contract = requestActivities[key];
  registerActivity(
    contract,
    requestActivityImplementations[key],
    courierServices,
    (context, error) =>
      invocationLogger(context).warn('activity-failed', { activity: contract.name, error }),
  );
}
