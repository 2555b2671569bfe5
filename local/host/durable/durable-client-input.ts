/** Where the Durable HTTP API is served, and under which task hub and connection names. */
export interface DurableEndpoints {
  /** The public webhook base on the host's HTTPS port: ".../runtime/webhooks/durabletask". */
  webhookBaseUrl: string;
  /** The loopback RPC base the durable client calls: "http://127.0.0.1:PORT/durabletask/". */
  rpcBaseUrl: string;
  hubName: string;
  connectionName: string;
}

/** HttpManagementPayload: the links createCheckStatusResponse hands to callers. */
export interface HttpManagementPayload {
  id: string;
  purgeHistoryDeleteUri: string;
  sendEventPostUri: string;
  statusQueryGetUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/** The placeholder id the extension puts in the client binding's management URLs. */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

/**
 * The links for one instance, built like the extension's HttpApiHandler.GetClientResponseLinks.
 * Locally no system key is required, so the query carries only the task hub and connection.
 */
export function managementLinks(
  endpoints: DurableEndpoints,
  instanceId: string,
): HttpManagementPayload {
  const instance = `${endpoints.webhookBaseUrl}/instances/${encodeURIComponent(instanceId)}`;
  const query = `taskHub=${encodeURIComponent(endpoints.hubName)}&connection=${encodeURIComponent(endpoints.connectionName)}`;
  return {
    id: instanceId,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    statusQueryGetUri: `${instance}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/**
 * The value of a `durableClient` input binding, as the extension serialises it for out-of-process
 * workers (BindingHelper.DurableOrchestrationClientToString). `df.getClient(context)` reads it;
 * with `rpcBaseUrl` set, DurableClient sends every operation there.
 */
export function durableClientInput(endpoints: DurableEndpoints): Record<string, unknown> {
  const orchestrators = `${endpoints.webhookBaseUrl}/orchestrators/{functionName}[/{instanceId}]`;
  return {
    taskHubName: endpoints.hubName,
    creationUrls: {
      createNewInstancePostUri: `${orchestrators}?`,
      createAndWaitOnNewInstancePostUri: `${orchestrators}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&`,
    },
    managementUrls: managementLinks(endpoints, INSTANCE_ID_PLACEHOLDER),
    baseUrl: endpoints.webhookBaseUrl,
    requiredQueryStringParameters: '',
    rpcBaseUrl: endpoints.rpcBaseUrl,
  };
}
