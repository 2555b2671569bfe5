/**
 * The HTTP status of a failed Azure Table call (a RestError from @azure/data-tables), or undefined
 * when the failure never reached the service. Stores branch on 404 (absent), 409 (already exists)
 * and 412 (the ETag moved: someone else wrote first).
 */
export function tableStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** What a person reads about a failed table call: what was being done, and the HTTP status. */
export function storageFailure(action: string, cause: unknown): string {
  const status = tableStatus(cause);
  return `Table storage failed to ${action}${status === undefined ? '' : ` (HTTP ${status})`}.`;
}
