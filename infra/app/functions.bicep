// The functions app on Flex Consumption (Linux, Node.js 22): scales to zero when idle, runs as the
// user-assigned identity, reaches storage by identity (shared keys are off), and takes the
// deployment package from a blob container, also by identity. Every app setting the code reads at
// start-up is set here or knowingly left to its default (functions/config/azure-app-settings.ts,
// checked by test/infra).
param name string
param location string
param tags object
param maximumInstanceCount int
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
@allowed(['DurableTaskScheduler', 'AzureStorage'])
param durableBackend string
@description('The scheduler\'s endpoint (https://…durabletask.io); empty with the Azure Storage backend.')
param durableTaskSchedulerEndpoint string
param taskHubName string
param pinKeyVaultUrl string
param pinKeyName string
param apiAppId string
param apiAppIdUri string
param fallbackApproversGroupId string
param itGroupId string
param keyClasses array
param teamsAppCatalogId string
@description('Where the bot\'s cards send people to reveal their PIN: the Teams deep link to the personal tab.')
param tabUrl string
@description('The tab\'s origin (https://<static site>): its pages call the API from there.')
param tabOrigin string
param extraAppSettings object

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// What the Functions host and its extensions read; host.json names TASKHUB_NAME and the
// Durable Task Scheduler connection.
var hostSettings = {
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  TASKHUB_NAME: taskHubName
  // Stack traces in Application Insights name the TypeScript sources (the bundle has a source map).
  NODE_OPTIONS: '--enable-source-maps'
}

// host.json selects the Durable Task Scheduler; for Azure Storage these settings override it.
var durableSettings = durableBackend == 'DurableTaskScheduler'
  ? {
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: 'Endpoint=${durableTaskSchedulerEndpoint};Authentication=ManagedIdentity;ClientID=${identityClientId}'
    }
  : {
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'AzureStorage'
      AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'AzureWebJobsStorage'
    }

// What the app reads (functions/config/courier-settings.ts, core/graph/graph-settings.ts).
var courierSettings = {
  COURIER_TENANT_ID: tenant().tenantId
  COURIER_API_AUDIENCES: '${apiAppId},${apiAppIdUri}'
  COURIER_STORAGE_TABLE_ENDPOINT: storageAccount.properties.primaryEndpoints.table
  COURIER_MANAGED_IDENTITY_CLIENT_ID: identityClientId
  // The notification queue's connection, identity-based as the Functions host reads it: the
  // queue trigger (courier-notification-delivery) and the app's own producer both use it.
  COURIER_QUEUES__queueServiceUri: storageAccount.properties.primaryEndpoints.queue
  COURIER_QUEUES__credential: 'managedidentity'
  COURIER_QUEUES__clientId: identityClientId
  COURIER_PIN_KEY_VAULT_URL: pinKeyVaultUrl
  COURIER_PIN_KEY_NAME: pinKeyName
  COURIER_FALLBACK_APPROVERS_GROUP_ID: fallbackApproversGroupId
  COURIER_IT_GROUP_ID: itGroupId
  COURIER_KEY_CLASSES: string(keyClasses)
  COURIER_DEFAULT_KEY_CLASS: keyClasses[0].name
  GRAPH_AUTH: 'managed-identity'
  GRAPH_CLIENT_ID: identityClientId
}

// What the bot reads (functions/bot/bot-settings.ts): it is the managed identity, no secret.
var botSettings = {
  COURIER_BOT_APP_ID: identityClientId
  COURIER_BOT_APP_TYPE: 'UserAssignedMSI'
  COURIER_TAB_URL: tabUrl
}

// Known only once the Teams app is in the org catalog; the app treats an empty value as an error.
var teamsSettings = empty(teamsAppCatalogId) ? {} : { COURIER_TEAMS_APP_CATALOG_ID: teamsAppCatalogId }

module site 'br/public:avm/res/web/site:0.15.1' = {
  name: 'functions-flex-consumption'
  params: {
    kind: 'functionapp,linux'
    name: name
    location: location
    tags: union(tags, { 'azd-service-name': 'functions' })
    serverFarmResourceId: plan.outputs.resourceId
    managedIdentities: { userAssignedResourceIds: [identityId] }
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageAccount.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: 2048
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: { name: 'node', version: '22' }
    }
    // Flex Consumption refuses site properties it does not support (ftpsState, alwaysOn among
    // them, ARM code 51021 in some regions): only what it takes. It has no FTP endpoint at all.
    siteConfig: {
      minTlsVersion: '1.2'
      // The tab calls the API with a bearer token (no cookies), from its own origin only.
      cors: { allowedOrigins: [tabOrigin], supportCredentials: false }
    }
    appSettingsKeyValuePairs: union(
      hostSettings,
      durableSettings,
      courierSettings,
      botSettings,
      teamsSettings,
      extraAppSettings
    )
  }
}

module plan 'br/public:avm/res/web/serverfarm:0.1.1' = {
  name: 'functions-plan'
  params: {
    name: 'plan-${name}'
    location: location
    tags: tags
    sku: { name: 'FC1', tier: 'FlexConsumption' }
    reserved: true
  }
}

output name string = site.outputs.name
// The host name Azure gave the app (not assumed: regions with unique default host names differ).
output defaultHostname string = site.outputs.defaultHostname
