import { z } from 'zod';

/** microsoft.graph.userScopeTeamsAppInstallation, with teamsApp / teamsAppDefinition when expanded. */
export const teamsAppInstallationSchema = z.looseObject({
  id: z.string().min(1),
  teamsApp: z
    .looseObject({
      id: z.string(),
      externalId: z.string().nullable().optional(),
      displayName: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
  teamsAppDefinition: z
    .looseObject({
      id: z.string(),
      teamsAppId: z.string().nullable().optional(),
      displayName: z.string().nullable().optional(),
      version: z.string().nullable().optional(),
    })
    .nullable()
    .optional(),
});

export type TeamsAppInstallation = z.infer<typeof teamsAppInstallationSchema>;

/** microsoft.graph.chat (only the members the bot needs). */
export const chatSchema = z.looseObject({
  id: z.string().min(1),
  chatType: z.string().nullable().optional(),
});
