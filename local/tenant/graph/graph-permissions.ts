const TEAMS_APP_WRITE = [
  'TeamsAppInstallation.ReadWriteSelfForUser.All',
  'TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All',
  'TeamsAppInstallation.ReadWriteForUser.All',
  'TeamsAppInstallation.ReadWriteAndConsentForUser.All',
] as const;
const TEAMS_APP_READ = [
  'TeamsAppInstallation.ReadSelfForUser.All',
  'TeamsAppInstallation.ReadForUser.All',
  ...TEAMS_APP_WRITE,
] as const;

/**
 * Which Graph permissions allow which operation: the least-privileged one first, then the
 * higher-privileged ones Microsoft's permission tables list for the same call. An application
 * token needs one of them in `roles`, a delegated token in `scp`.
 */
export const GraphPermission = {
  readUser: [
    'User.Read.All',
    'User.ReadBasic.All',
    'User.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  readGroupMembers: [
    'GroupMember.Read.All',
    'Group.Read.All',
    'GroupMember.ReadWrite.All',
    'Group.ReadWrite.All',
    'Directory.Read.All',
    'Directory.ReadWrite.All',
  ],
  readPasskeys: [
    'UserAuthMethod-Passkey.Read.All',
    'UserAuthMethod-Passkey.ReadWrite.All',
    'UserAuthenticationMethod.Read.All',
    'UserAuthenticationMethod.ReadWrite.All',
  ],
  writePasskeys: ['UserAuthMethod-Passkey.ReadWrite.All', 'UserAuthenticationMethod.ReadWrite.All'],
  /** Microsoft's beta creationOptions page lists only this one (v1.0's adds the passkey one). */
  betaCreationOptions: ['UserAuthenticationMethod.ReadWrite.All'],
  readPolicy: [
    'Policy.Read.All',
    'Policy.Read.AuthenticationMethod',
    'Policy.ReadWrite.AuthenticationMethod',
  ],
  installTeamsApp: TEAMS_APP_WRITE,
  readTeamsApps: TEAMS_APP_READ,
  readChat: [...TEAMS_APP_READ, 'Chat.ReadBasic.All', 'Chat.Read.All', 'Chat.ReadWrite.All'],
} as const satisfies Record<string, readonly string[]>;

export type GraphOperationPermission = keyof typeof GraphPermission;

/** "Self" Teams permissions let an app act only on installations of its own Teams app. */
export function onlySelf(
  granted: readonly string[],
  operation: 'installTeamsApp' | 'readTeamsApps' | 'readChat',
): boolean {
  return GraphPermission[operation]
    .filter((p) => granted.includes(p))
    .every((p) => p.includes('SelfForUser'));
}
