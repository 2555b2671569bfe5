import { app } from '@azure/functions';
import { registerAdminApi } from './api/admin-api.ts';
import { courierSettingsFromEnvironment } from './config/courier-settings.ts';
import { registerRequestApi } from './api/request-api.ts';
import { registerGroupMembersApi } from './api/group-members-api.ts';
import { registerKeyCheckApi } from './api/key-check-api.ts';
import { registerKeyResetCheckApi } from './api/key-reset-check-api.ts';
import { registerSignInCheckApi } from './api/sign-in-check-api.ts';
import { registerBot } from './bot/register-bot.ts';
import { registerNotifications } from './notifications/register-notifications.ts';
import { registerStationApi } from './api/station-api.ts';
import { registerWorkflow } from './workflow/register-workflow.ts';

/**
 * The functions app's one registration entry point (Azure Functions v4 programming model):
 * the request workflow, the station API, the requesters' and approvers' API, and the admin API.
 */
app.setup({ enableHttpStream: false });
// Every setting (host.json's %SETTING%s included) is checked before any function runs: a wrong
// one stops the app at start-up with a message naming it, not at a request hours later.
app.hook.appStart(() => {
  courierSettingsFromEnvironment();
});
registerWorkflow();
registerStationApi();
registerSignInCheckApi();
registerKeyResetCheckApi();
registerKeyCheckApi();
registerRequestApi();
registerAdminApi();
registerGroupMembersApi();
registerBot();
registerNotifications();
