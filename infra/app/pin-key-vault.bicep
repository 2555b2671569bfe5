// The PIN envelope key: RSA-3072 in a Key Vault in RBAC mode, created non-exportable, usable only
// to decrypt. Stations seal PINs to its public half; only Key Vault ever holds the private half.
// The functions identity gets a role with exactly two data actions, on this one key: read the key
// (its public material) and decrypt. No built-in role is that narrow ("Key Vault Crypto User"
// also signs, wraps, updates and backs up keys).
param name string
param location string
param tags object
param keyName string
param principalId string

module vault 'br/public:avm/res/key-vault/vault:0.13.3' = {
  // Not the outer module's name: both deployments land in the same resource group, and ARM
  // refuses to replace a deployment that is still running (DeploymentActive).
  name: '${deployment().name}-vault'
  params: {
    name: name
    location: location
    tags: tags
    sku: 'standard'
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // A purged key would orphan every envelope sealed to it.
    enablePurgeProtection: true
    enableVaultForDeployment: false
    enableVaultForTemplateDeployment: false
    enableVaultForDiskEncryption: false
    // The functions app runs without a virtual network; access is by Entra token and RBAC alone.
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: name
}

// Created if missing; a redeployment leaves an existing key and its versions untouched.
resource key 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: keyVault
  name: keyName
  dependsOn: [vault]
  properties: {
    kty: 'RSA'
    keySize: 3072
    keyOps: ['decrypt']
    attributes: {
      enabled: true
      exportable: false
    }
  }
}

var pinKeyUserActions = [
  'Microsoft.KeyVault/vaults/keys/read'
  'Microsoft.KeyVault/vaults/keys/decrypt/action'
]

resource pinKeyUser 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'passkey-courier-pin-key-user')
  properties: {
    // Role names are unique across the tenant: the same group name in two subscriptions must not clash.
    roleName: 'Passkey Courier PIN key user (${resourceGroup().name}, ${take(subscription().subscriptionId, 8)})'
    description: 'Read the public half of the PIN envelope key and decrypt with it; nothing else.'
    type: 'CustomRole'
    assignableScopes: [resourceGroup().id]
    permissions: [
      {
        actions: []
        notActions: []
        dataActions: pinKeyUserActions
        notDataActions: []
      }
    ]
  }
}

resource appAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(key.id, principalId, pinKeyUser.id)
  scope: key
  properties: {
    // The subscription-level form role assignments take, for a role defined in this group.
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', pinKeyUser.name)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output vaultUri string = vault.outputs.uri
output keyName string = key.name
