// The Durable Task Scheduler (Consumption SKU: billed per action, nothing at rest), its task hub,
// and "Durable Task Data Contributor" for the functions identity (and the deploying user, for the
// dashboard), scoped to the scheduler.
param name string
param location string
param tags object
param taskHubName string
param principalId string
@description('Object id of a user who may open the dashboard; empty for none.')
param dashboardUserId string = ''

var roles = {
  'Durable Task Data Contributor': '0ad04412-c4d5-4796-b79c-f76d14c8d402'
}

resource scheduler 'Microsoft.DurableTask/schedulers@2026-02-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    // Reached over the internet with Entra tokens only; there are no keys.
    ipAllowlist: ['0.0.0.0/0']
    sku: { name: 'Consumption' }
  }
}

resource taskHub 'Microsoft.DurableTask/schedulers/taskHubs@2026-02-01' = {
  parent: scheduler
  name: taskHubName
}

resource appAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(scheduler.id, principalId, roles['Durable Task Data Contributor'])
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles['Durable Task Data Contributor']
    )
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource dashboardAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(dashboardUserId)) {
  name: guid(scheduler.id, dashboardUserId, roles['Durable Task Data Contributor'])
  scope: scheduler
  properties: {
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles['Durable Task Data Contributor']
    )
    // No principalType: azd's AZURE_PRINCIPAL_ID is a user at a desk, a service principal in CI.
    principalId: dashboardUserId
  }
}

output endpoint string = scheduler.properties.endpoint
output taskHubName string = taskHub.name
