/**
 * The Microsoft Graph application permissions the functions app needs, each the least privileged
 * one for the calls it makes through the gateway (core/graph), and why. infra/ grants exactly
 * these to the app's managed identity (test/infra checks both ways), and the local tenant's
 * permission tables check each is enough for its calls.
 *
 * For the default FIDO2_OPTIONS_API=v1.0. Graph's beta creationOptions (FIDO2_OPTIONS_API=beta,
 * for pre-fetching) documents only the broader UserAuthenticationMethod.ReadWrite.All, which an
 * admin choosing beta must grant in addition.
 */
export const GRAPH_APPLICATION_PERMISSIONS = {
  'User.Read.All': 'requesters, their managers and the approvers: getUser, getManager',
  'GroupMember.Read.All':
    'the fallback approvers and IT groups: listGroupMembers, checkMemberGroups',
  'Policy.Read.AuthenticationMethod':
    'the FIDO2 policy preflight: which AAGUIDs a user may register',
  'UserAuthMethod-Passkey.ReadWrite.All':
    'passkeys: creation options, registration, listing and deletion of fido2Methods',
  'TeamsAppInstallation.ReadWriteSelfForUser.All':
    'installs the Teams app (only this one) for people the bot must reach, and finds that chat',
} as const satisfies Record<string, string>;

export type GraphApplicationPermission = keyof typeof GRAPH_APPLICATION_PERMISSIONS;
