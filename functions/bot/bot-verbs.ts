/**
 * The `verb` of every `Action.Execute` the bot's cards carry. Teams sends the verb back in an
 * `adaptiveCard/action` invoke; the bot routes on it. Renaming one breaks cards already in chats.
 */
export const BotVerb = {
  ShowRequestForm: 'showRequestForm',
  SubmitRequest: 'submitRequest',
  MyRequests: 'myRequests',
  RefreshStatus: 'refreshStatus',
  Cancel: 'cancelRequest',
  ReportLost: 'reportLost',
  ShowDelivery: 'showDelivery',
  ConfirmDelivery: 'confirmDelivery',
  Approve: 'approve',
  Reject: 'reject',
  RefreshApproval: 'refreshApproval',
} as const;
export type BotVerb = (typeof BotVerb)[keyof typeof BotVerb];
