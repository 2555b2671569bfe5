/**
 * The task ids durable-functions' executor still waits on after a run, read from its internals
 * (`context.df.taskOrchestratorExecutor.openTasks`, durable-functions 3.x). Undefined when the
 * internals are not there (another SDK version): the check that uses this is a diagnostic only.
 */
export function sdkOpenTaskIds(invocationContext: unknown): Set<number> | undefined {
  const df = (invocationContext as { df?: { taskOrchestratorExecutor?: { openTasks?: unknown } } })
    ?.df;
  const open = df?.taskOrchestratorExecutor?.openTasks;
  if (typeof open !== 'object' || open === null) return undefined;
  return new Set(
    Object.keys(open)
      .filter((key) => /^\d+$/.test(key))
      .map(Number),
  );
}
