// Passkey Courier in one subscription and tenant: `azd up` from the repository root.
// Everything authenticates with one user-assigned managed identity; no secret is created anywhere.
// Read infra/README.md first: the deploying user needs Azure and Entra rights listed there.
targetScope = 'subscription'

extension microsoftGraphV1

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and location it seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region of every regional resource. It must offer Flex Consumption and the Durable Task Scheduler.')
@metadata({ azd: { type: 'location' } })
param location string

@description('Object id of the deploying user (azd sets it): may read the Durable Task Scheduler dashboard. Empty: nobody.')
param principalId string = ''

@allowed(['DurableTaskScheduler', 'AzureStorage'])
@description('Durable Functions backend: the Durable Task Scheduler (Consumption SKU), or Azure Storage in the app\'s own account.')
param durableBackend string = 'DurableTaskScheduler'

@description('Object id of the Entra group that approves when a requester has no usable manager. Empty: the deployment creates "Passkey Courier fallback approvers".')
param fallbackApproversGroupId string = ''

@description('Object id of the Entra group told about failures IT must act on. Empty: the deployment creates "Passkey Courier IT".')
param itGroupId string = ''

@description('Key classes the service hands out: [{name, allowedAaguids, minimumFirmware}]. The first is the default. The AAGUIDs must also be allowed by the tenant\'s FIDO2 policy.')
param keyClasses array = [
  {
    name: 'YubiKey 5 Series'
    allowedAaguids: [
      '2fc0579f-8113-47ea-b116-bb5a8db9202a'
      'cb69481e-8ff7-4039-93ec-0a2729a154a8'
      'ee882879-721c-4913-9775-3dfcce97072a'
      '73bb0cd4-e502-49b8-9c6f-b59445bf720b'
      'c1f9a0bc-1dd2-404a-b27f-8e29047a43fd'
    ]
    minimumFirmware: '5.7.0'
  }
]

@description('Teams app id in the org catalog, once the Teams package is published (see infra/README.md). Empty until then: the bot cannot open chats with people who have not installed the app.')
param teamsAppCatalogId string = ''

@description('Object ids of users or groups (groups need Entra ID P1) given the Station.Operator app role.')
param stationOperatorIds array = []

@description('Object ids of users or groups given the Courier.Admin app role.')
param adminIds array = []

@description('Further app settings for the functions app, e.g. {"COURIER_REMINDER_HOURS": "12"}; they win over the deployment\'s own.')
param extraAppSettings object = {}

@description('Region of the tab\'s Static Web App (Free SKU); Static Web Apps exist in fewer regions than the rest.')
param staticWebAppLocation string = 'westeurope'

@minValue(40)
@maxValue(1000)
@description('Most instances the functions app may scale out to.')
param maximumInstanceCount int = 40

@description('Daily ingestion cap of the Log Analytics workspace, in GB; keeps a log storm from becoming a bill.')
param logDailyQuotaGb int = 1

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var functionAppName = '${abbrs.webSitesFunctions}courier-${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'
var taskHubName = 'courier'
var pinKeyName = 'pin-envelope'
// functions/notifications/notification-queue.ts NOTIFICATION_QUEUE; the host adds -poison.
var notificationQueueName = 'courier-notifications'
// The Teams app package's id (manifest "id"), fixed per environment so the bot's deep links to
// the personal tab ("requests") are known before the package is built.
var teamsAppId = guid(subscription().id, environmentName, 'passkey-courier-teams-app')
var tabDeepLink = 'https://teams.microsoft.com/l/entity/${teamsAppId}/requests'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

// The app's one identity: storage, Durable Task Scheduler, Key Vault, Graph, and the bot.
module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}courier-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'br/public:avm/res/storage/storage-account:0.8.3' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    dnsEndpointType: 'Standard'
    minimumTlsVersion: 'TLS1_2'
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
    blobServices: { containers: [{ name: deploymentContainerName }] }
    // Delivery on write: a message added to the outbox is nudged here, and the queue trigger
    // delivers it; the poison queue is where the host puts nudges it gave up on (their outbox
    // rows stay pending, and the 15-minute sweep delivers them).
    queueServices: {
      queues: [{ name: notificationQueueName }, { name: '${notificationQueueName}-poison' }]
    }
  }
}

module storageAccess 'app/storage-access.bicep' = {
  name: 'storage-access'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    principalId: identity.outputs.principalId
  }
}

module logAnalytics 'br/public:avm/res/operational-insights/workspace:0.11.1' = {
  name: 'log-analytics'
  scope: rg
  params: {
    name: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    location: location
    tags: tags
    dataRetention: 30
    dailyQuotaGb: logDailyQuotaGb
  }
}

module appInsights 'br/public:avm/res/insights/component:0.6.0' = {
  name: 'app-insights'
  scope: rg
  params: {
    name: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
    workspaceResourceId: logAnalytics.outputs.resourceId
    // Telemetry only with Entra auth (the identity has Monitoring Metrics Publisher).
    disableLocalAuth: true
    roleAssignments: [
      {
        principalId: identity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionIdOrName: 'Monitoring Metrics Publisher'
      }
    ]
  }
}

module durable 'app/durable-task-scheduler.bicep' = if (durableBackend == 'DurableTaskScheduler') {
  name: 'durable-task-scheduler'
  scope: rg
  params: {
    name: '${abbrs.durableTaskSchedulers}${resourceToken}'
    location: location
    tags: tags
    taskHubName: taskHubName
    principalId: identity.outputs.principalId
    dashboardUserId: principalId
  }
}

module pinKey 'app/pin-key-vault.bicep' = {
  name: 'pin-key-vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    keyName: pinKeyName
    principalId: identity.outputs.principalId
  }
}

module tab 'br/public:avm/res/web/static-site:0.9.3' = {
  name: 'tab'
  scope: rg
  params: {
    name: '${abbrs.webStaticSites}courier-${resourceToken}'
    location: staticWebAppLocation
    tags: union(tags, { 'azd-service-name': 'tab' })
    sku: 'Free'
  }
}

var tabDomain = tab.outputs.defaultHostname

module entra 'app/entra.bicep' = {
  name: 'entra'
  params: {
    environmentName: environmentName
    resourceToken: resourceToken
    tabDomain: tabDomain
    functionsPrincipalId: identity.outputs.principalId
    fallbackApproversGroupId: fallbackApproversGroupId
    itGroupId: itGroupId
    stationOperatorIds: stationOperatorIds
    adminIds: adminIds
  }
}

module functions 'app/functions.bicep' = {
  name: 'functions'
  scope: rg
  params: {
    name: functionAppName
    location: location
    tags: tags
    maximumInstanceCount: maximumInstanceCount
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: appInsights.outputs.name
    durableBackend: durableBackend
    durableTaskSchedulerEndpoint: durableBackend == 'DurableTaskScheduler' ? durable.outputs.endpoint : ''
    taskHubName: taskHubName
    pinKeyVaultUrl: pinKey.outputs.vaultUri
    pinKeyName: pinKeyName
    apiAppId: entra.outputs.apiAppId
    apiAppIdUri: entra.outputs.apiAppIdUri
    fallbackApproversGroupId: entra.outputs.fallbackApproversGroupId
    itGroupId: entra.outputs.itGroupId
    keyClasses: keyClasses
    teamsAppCatalogId: teamsAppCatalogId
    tabUrl: tabDeepLink
    tabOrigin: 'https://${tabDomain}'
    extraAppSettings: extraAppSettings
  }
  // The app must not start before its identity may read the tables and its Graph permissions exist.
  dependsOn: [storageAccess]
}

var functionAppHost = functions.outputs.defaultHostname

module bot 'app/bot.bicep' = {
  name: 'bot'
  scope: rg
  params: {
    name: '${abbrs.botServicesBots}courier-${resourceToken}'
    tags: tags
    endpoint: 'https://${functionAppHost}/api/messages'
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
  }
}

// azd stores these in the environment (.azure/<env>/.env); the hooks build the Teams package and
// the station's configuration from them.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functions.outputs.name
output COURIER_API_URL string = 'https://${functionAppHost}/api'
output COURIER_API_CLIENT_ID string = entra.outputs.apiAppId
output COURIER_API_ID_URI string = entra.outputs.apiAppIdUri
output COURIER_API_SCOPE string = '${entra.outputs.apiAppIdUri}/access_as_user'
output COURIER_STATION_CLIENT_ID string = entra.outputs.stationAppId
output COURIER_BOT_ID string = identity.outputs.clientId
output COURIER_TAB_DOMAIN string = tabDomain
output COURIER_TAB_SITE_URL string = 'https://${tabDomain}/'
output COURIER_TAB_URL string = tabDeepLink
output COURIER_TEAMS_APP_ID string = teamsAppId
output COURIER_FUNCTIONS_DOMAIN string = functionAppHost
output COURIER_FALLBACK_APPROVERS_GROUP_ID string = entra.outputs.fallbackApproversGroupId
output COURIER_IT_GROUP_ID string = entra.outputs.itGroupId
output COURIER_DURABLE_BACKEND string = durableBackend
