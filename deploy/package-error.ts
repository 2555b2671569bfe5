import { CourierError } from '../core/courier-error.ts';

export type PackageErrorCode =
  /** The bundle's import graph reaches something that must never be deployed. */
  | 'EXCLUDED_INPUT'
  /** esbuild could not bundle the app (a missing module, a syntax error). */
  | 'BUNDLE_FAILED'
  /** The repository is not as the packager expects (no host.json, no entry point). */
  | 'REPOSITORY_INVALID';

/** A failure to build the deployable functions package. */
export class PackageError extends CourierError<PackageErrorCode> {}
