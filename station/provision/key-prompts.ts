/** The steps of the per-key pipeline, in order, as progress reports name them. */
export type ProvisionStep =
  | 'inspect'
  | 'check-key-class'
  | 'check-policy'
  | 'reset'
  | 'set-pin'
  | 'set-min-pin-length'
  | 'creation-options'
  | 'make-credential'
  | 'verify-attestation'
  | 'submit'
  | 'sign-in-check'
  | 'force-pin-change'
  | 'done';

/** What the operator must do with their hands. */
export type PromptKind = 'touch' | 'unplug' | 'plug-in' | 'touch-to-reset';

/**
 * How the pipeline talks to whoever watches it (the terminal UI, a test, the bench). Every
 * message already names the key (serial and port); none ever carries the PIN.
 */
export interface KeyPrompts {
  step(step: ProvisionStep, message: string): void;
  prompt(kind: PromptKind, message: string): void;
  /** Seconds left of the reset window, once a second. */
  countdown?(secondsLeft: number): void;
}

export const silentPrompts: KeyPrompts = { step: () => undefined, prompt: () => undefined };
