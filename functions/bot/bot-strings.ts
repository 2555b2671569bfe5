/**
 * Everything the bot says, keyed, in one place so a translation is one more table. Placeholders
 * are `{name}`; `say` fills them. Cards and chat lines never build sentences from fragments, so a
 * translator sees whole sentences.
 */
const EN = {
  welcome:
    'Hi {name}, I am Passkey Courier. I get a FIDO2 security key to your desk already registered to your account, and give you its PIN once it has arrived.',
  help: 'Say **request a key** to ask for one, **my requests** to see where yours are, **report a lost key** if one went missing, or **cancel** to withdraw an open request.',
  helpTitle: 'What I can do',
  unknownCommand: 'I did not understand "{text}".',
  requestFormTitle: 'Request a security key',
  requestFormIntro:
    'Your manager approves the request; the mailroom then programs a key for you and ships it. It usually takes a few days.',
  reasonLabel: 'Why do you need a key?',
  reasonNewHire: 'I am new and have no key yet',
  reasonLost: 'I lost my key',
  reasonBroken: 'My key is broken',
  reasonBackup: 'I want a backup key',
  reasonRequired: 'Choose why you need a key.',
  keyClassLabel: 'Key type',
  keyClassRequired: 'Choose a key type.',
  shipToLabel: 'Ship to',
  shipToPlaceholder: 'Street, postcode and city, or a desk in the office',
  shipToRequired: 'Enter the address the key should go to.',
  shipToTooLong: 'The address is too long (500 characters at most).',
  noteLabel: 'Anything your approver should know (optional)',
  noteTooLong: 'The note is too long (500 characters at most).',
  submitRequest: 'Send request',
  formInvalid: 'Please fix the form: {problems}',
  requestSent:
    'Your request {requestId} is on its way to {approver}. I will tell you when they decide.',
  requestSentNoApprover: 'Your request {requestId} is on its way to an approver.',
  openRequestExists:
    'You already have request {requestId}, which is {stage}. One request at a time: cancel it, or report its key lost, before asking for another.',
  noRequests: 'You have no key requests yet. Say **request a key** to ask for one.',
  myRequestsTitle: 'Your key requests',
  requestTitle: 'Key request {requestId}',
  stageLabel: 'Stage',
  reasonFact: 'Reason',
  keyClassFact: 'Key type',
  requesterFact: 'Requested by',
  requestedAtFact: 'Requested',
  approverFact: 'Approver',
  trackingFact: 'Tracking',
  deadlineFact: 'Decide by',
  commentFact: 'Comment',
  noteFact: 'Note',
  outcomeFact: 'Outcome',
  cancelRequest: 'Cancel request',
  reportLost: 'Report key lost',
  confirmDelivery: 'I have the key',
  openTab: 'Open Passkey Courier',
  trackParcel: 'Track the parcel',
  refresh: 'Refresh',
  nothingToCancel: 'You have no open request to cancel.',
  cancelling:
    'Request {requestId} is being cancelled. If a key was already registered, it is deleted from your account.',
  nothingLost: 'You have no delivered key to report lost.',
  lostReported:
    'Key of request {requestId} reported lost: it is being removed from your account now, so nobody can use it. Say **request a key** for a new one.',
  approvalTitle: 'Security key request from {name}',
  approvalIntro:
    '{name} asks for a security key. Approving sends it to the mailroom to be programmed.',
  approvalReadOnly: 'Waiting for {approvers} to decide.',
  commentLabel: 'Comment (optional)',
  approve: 'Approve',
  reject: 'Reject',
  approvedBy: 'Approved by {name} on {at}.',
  rejectedBy: 'Rejected by {name} on {at}.',
  expiredView: 'Nobody decided before {at}; the request was closed.',
  escalatedView: 'Handed on to the fallback approvers on {at}.',
  cancelledView: 'The requester withdrew this request.',
  reminder: 'Reminder: {name} is still waiting for your decision on request {requestId}.',
  decisionRecorded: 'Your decision is recorded.',
  notTheApprover: 'Only {approvers} can decide on this request.',
  selfApproval: 'You cannot approve or reject your own request.',
  alreadyDecided: 'This request was already decided: {stage}.',
  notPending: 'This request is no longer waiting for a decision: it is {stage}.',
  requestNotFound: 'I cannot find request {requestId}.',
  deliveryTitle: 'Has your key arrived?',
  deliveryIntro:
    'Your key for request {requestId} was shipped. When it is in your hands, enter the last digits of the serial number printed on the key.',
  serialLabel: 'Last 4 or more digits of the serial',
  serialInvalid: 'Enter the last 4 to 12 digits of the serial printed on the key.',
  serialMismatch:
    'Those digits do not match the key sent to you. Check the label on the key ({left} tries left).',
  deliveryLocked: 'Too many wrong serial numbers. Contact IT: they can check the key you received.',
  deliveryConfirmed:
    'Thanks, delivery confirmed. Open Passkey Courier to reveal your PIN: it is shown once, then the key asks you to choose a new PIN at first use.',
  revealInTab: 'Reveal PIN',
  notifyApproved:
    '{approver} approved your request {requestId}. The mailroom programs your key next.',
  notifyRejected: '{approver} rejected your request {requestId}.',
  notifyExpired: 'Request {requestId} expired: nobody approved it in time.',
  notifyNoApprover: 'Request {requestId} has no one who can approve it. IT has been told.',
  notifyProgramming: 'The mailroom is programming your key for request {requestId}.',
  notifyRegistered:
    'Your key for request {requestId} is programmed and registered to your account.',
  notifyShipped: 'Your key for request {requestId} was shipped.',
  notifyShippedTracking:
    'Your key for request {requestId} was shipped with {carrier}, tracking {tracking}.',
  notifyCompleted: 'Request {requestId} is complete. Enjoy your key.',
  notifyRevoked:
    'The key of request {requestId} was removed from your account ({outcome}). Say **request a key** if you need a new one.',
  notifyFailed: 'Request {requestId} could not be completed: {outcome}. IT has been told.',
  notifyPolicyRefused:
    'Your organisation’s key policy refused the key for request {requestId}: {outcome}. IT has been told.',
  notifyCancelled: 'Request {requestId} was cancelled.',
  notifyItFailure: 'Request {requestId} of {name} needs IT: {outcome}.',
  notifyOther: 'Request {requestId} is now {stage}.',
  stageRequested: 'Requested',
  stageAwaitingApproval: 'Waiting for approval',
  stageAwaitingStation: 'Approved, waiting for the mailroom',
  stageProgramming: 'Being programmed',
  stageRegistered: 'Registered to your account',
  stageShipped: 'Shipped',
  stagePinReleased: 'PIN revealed',
  stageCompleted: 'Completed',
  stageClosed: 'Closed',
  stageRevoked: 'Revoked',
  stageFailed: 'Failed',
  refusedUnsigned: 'The activity was not signed by the Bot Framework.',
  somethingWrong:
    'Something went wrong on my side. Try again in a minute; if it keeps failing, quote {ref} to IT.',
} as const;

export type StringKey = keyof typeof EN;
export type Strings = Record<StringKey, string>;

const TABLES: Record<string, Strings> = { en: EN };

/** The strings for a Teams locale (`en-US`, `de-DE`…); English when there is no translation. */
export function stringsFor(locale: string | undefined): Strings {
  const language = (locale ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return TABLES[language] ?? EN;
}

/** `say(strings, 'requestSent', { requestId })`: one sentence, placeholders filled. */
export function say(
  strings: Strings,
  key: StringKey,
  values: Record<string, string | number> = {},
): string {
  return strings[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
