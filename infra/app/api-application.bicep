// The API's app registration as a whole, once its appId is known: the Application ID URI the tab's
// SSO needs (api://<tab domain>/<appId>, as Teams requires), the delegated scope access_as_user,
// the app roles, and the clients allowed to ask for the scope without a consent prompt.
// Deployed twice (entra.bicep): Graph refuses to pre-authorize a scope created in the same request
// ("…delegatedPermissionIds has a Permission Id that cannot be found…"), so the first pass creates
// the scope and the second, with preAuthorize, adds the pre-authorized clients. Both send the same
// `api` object apart from that list, because Graph replaces `api` as a whole.
targetScope = 'subscription'

extension microsoftGraphV1

param uniqueName string
param displayName string
param appId string
param tabDomain string
param stationAppId string
@description('Ids of the app roles and the scope, fixed in entra.bicep: stationOperatorRoleId, courierAdminRoleId, accessAsUserScopeId.')
param ids object
@description('Second pass: also pre-authorize Teams and the station for access_as_user (the scope exists by then).')
param preAuthorize bool

var stationOperatorRoleId = ids.stationOperatorRoleId
var courierAdminRoleId = ids.courierAdminRoleId
var accessAsUserScopeId = ids.accessAsUserScopeId
// Teams desktop and mobile, and Teams on the web (Microsoft's published client ids).
var teamsClientIds = ['1fec8e78-bce4-4aaf-ab1b-5451cc387264', '5e3ce6c0-2b1f-4285-8d4b-75ee78787346']
var preAuthorizedClients = [
  for clientId in concat(teamsClientIds, [stationAppId]): {
    appId: clientId
    delegatedPermissionIds: [accessAsUserScopeId]
  }
]

resource api 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  signInAudience: 'AzureADMyOrg'
  identifierUris: ['api://${tabDomain}/${appId}']
  api: {
    requestedAccessTokenVersion: 2
    oauth2PermissionScopes: [
      {
        id: accessAsUserScopeId
        value: 'access_as_user'
        type: 'User'
        isEnabled: true
        adminConsentDisplayName: 'Use Passkey Courier as the signed-in user'
        adminConsentDescription: 'Lets Teams and the mailroom station call Passkey Courier for the signed-in user.'
        userConsentDisplayName: 'Use Passkey Courier as you'
        userConsentDescription: 'Lets Teams and the mailroom station call Passkey Courier for you.'
      }
    ]
    preAuthorizedApplications: preAuthorize ? preAuthorizedClients : []
  }
  appRoles: [
    {
      id: stationOperatorRoleId
      value: 'Station.Operator'
      displayName: 'Mailroom station operator'
      description: 'Runs a mailroom station: claims jobs, programs security keys, ships them.'
      // Application too: an unattended kiosk signs in as its own app registration.
      allowedMemberTypes: ['User', 'Application']
      isEnabled: true
    }
    {
      id: courierAdminRoleId
      value: 'Courier.Admin'
      displayName: 'Passkey Courier administrator'
      description: 'Bulk requests, the audit trail, and finding a request by key.'
      allowedMemberTypes: ['User']
      isEnabled: true
    }
  ]
}

output appIdUri string = api.identifierUris[0]
