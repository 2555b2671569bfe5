// The functions identity's data-plane roles on the app's storage account (shared keys are off):
// blobs for the host and the deployment package, queues for the host (and the Azure Storage
// Durable backend) and the notification queue (the app sends nudges; the queue trigger reads,
// updates and deletes them, and moves poison messages), tables for the host and the app's own
// tables (jobs, audit, PIN vault, ...).
param storageAccountName string
param principalId string

var roles = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource assignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(roles): {
    name: guid(storageAccount.id, principalId, role.value)
    scope: storageAccount
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      principalId: principalId
      principalType: 'ServicePrincipal'
    }
  }
]
