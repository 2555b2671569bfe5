#!/usr/bin/env node
// The station's command line. It runs the TypeScript sources directly through tsx, so
// `npx station …` works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../station/cli/main.ts');
