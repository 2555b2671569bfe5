// The Entra side, with the Microsoft Graph Bicep extension: the API's app registration (app roles
// Station.Operator and Courier.Admin, the tab's SSO scope), the station's public client, the
// groups the workflow needs, and the Graph application permissions of the functions identity,
// granted here because a managed identity's Graph permissions cannot be granted in the portal.
targetScope = 'subscription'

extension microsoftGraphV1

param environmentName string
param resourceToken string
param tabDomain string
@description('Object id of the functions app\'s managed identity (its service principal).')
param functionsPrincipalId string
param fallbackApproversGroupId string
param itGroupId string
param stationOperatorIds array
param adminIds array

// Exactly the application permissions functions/config/graph-application-permissions.ts lists
// (test/infra checks they agree), each the least privileged for the calls the app makes.
var graphPermissions = [
  'User.Read.All'
  'GroupMember.Read.All'
  'Policy.Read.AuthenticationMethod'
  'UserAuthMethod-Passkey.ReadWrite.All'
  'TeamsAppInstallation.ReadWriteSelfForUser.All'
]

// Fixed ids: role and scope ids must stay the same across deployments (assignments refer to them).
var ids = {
  stationOperatorRoleId: '284e3d64-6ba1-466a-bf4b-c98f02234d94'
  courierAdminRoleId: '55e81664-1b46-475c-bc24-1b9cc3217aa1'
  accessAsUserScopeId: '3312d73c-605b-4d44-a961-7ea59182267d'
}

var apiUniqueName = 'passkey-courier-api-${resourceToken}'
var apiDisplayName = 'Passkey Courier (${environmentName})'

resource graph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: '00000003-0000-0000-c000-000000000000'
}

resource graphGrants 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for permission in graphPermissions: {
    principalId: functionsPrincipalId
    resourceId: graph.id
    appRoleId: filter(graph.appRoles, role => role.value == permission)[0].id
  }
]

// First the registration alone, for its appId. The extension upserts by uniqueName with PATCH,
// so on later deployments this touches the display name only.
resource apiRegistration 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: apiUniqueName
  displayName: apiDisplayName
}

resource station 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: 'passkey-courier-station-${resourceToken}'
  displayName: 'Passkey Courier station (${environmentName})'
  signInAudience: 'AzureADMyOrg'
  // A public client: operators sign in on the station with the device code flow; it has no secret.
  isFallbackPublicClient: true
  publicClient: { redirectUris: ['http://localhost'] }
  requiredResourceAccess: [
    {
      resourceAppId: apiRegistration.appId
      resourceAccess: [{ id: ids.accessAsUserScopeId, type: 'Scope' }]
    }
  ]
}

resource stationPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: station.appId
}

// Twice, in order: the scope first, then the clients pre-authorized for it (api-application.bicep).
module apiApplicationScopes 'api-application.bicep' = {
  name: 'api-application-scopes'
  params: {
    uniqueName: apiUniqueName
    displayName: apiDisplayName
    appId: apiRegistration.appId
    tabDomain: tabDomain
    stationAppId: station.appId
    ids: ids
    preAuthorize: false
  }
}

module apiApplication 'api-application.bicep' = {
  name: 'api-application'
  params: {
    uniqueName: apiUniqueName
    displayName: apiDisplayName
    appId: apiRegistration.appId
    tabDomain: tabDomain
    stationAppId: station.appId
    ids: ids
    preAuthorize: true
  }
  dependsOn: [apiApplicationScopes]
}

resource apiPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: apiRegistration.appId
  // Only users given a role (Station.Operator or Courier.Admin) or consent get tokens for the
  // station; employees reach it through Teams, so the assignment is not required tenant-wide.
  appRoleAssignmentRequired: false
  dependsOn: [apiApplication]
}

resource operators 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for id in stationOperatorIds: {
    principalId: id
    resourceId: apiPrincipal.id
    appRoleId: ids.stationOperatorRoleId
  }
]

resource admins 'Microsoft.Graph/appRoleAssignedTo@v1.0' = [
  for id in adminIds: {
    principalId: id
    resourceId: apiPrincipal.id
    appRoleId: ids.courierAdminRoleId
  }
]

resource fallbackApprovers 'Microsoft.Graph/groups@v1.0' = if (empty(fallbackApproversGroupId)) {
  uniqueName: 'passkey-courier-fallback-approvers-${resourceToken}'
  displayName: 'Passkey Courier fallback approvers (${environmentName})'
  mailEnabled: false
  mailNickname: 'passkey-courier-fallback-${resourceToken}'
  securityEnabled: true
}

resource it 'Microsoft.Graph/groups@v1.0' = if (empty(itGroupId)) {
  uniqueName: 'passkey-courier-it-${resourceToken}'
  displayName: 'Passkey Courier IT (${environmentName})'
  mailEnabled: false
  mailNickname: 'passkey-courier-it-${resourceToken}'
  securityEnabled: true
}

output apiAppId string = apiRegistration.appId
output apiAppIdUri string = apiApplication.outputs.appIdUri
output stationAppId string = station.appId
output fallbackApproversGroupId string = empty(fallbackApproversGroupId)
  ? fallbackApprovers.id
  : fallbackApproversGroupId
output itGroupId string = empty(itGroupId) ? it.id : itGroupId
