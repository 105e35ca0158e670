#!/usr/bin/env -S node --no-warnings=ExperimentalWarning
// Runs the commands from the TypeScript sources (oclif registers tsx).
import { execute } from '@oclif/core';

await execute({ development: true, dir: import.meta.url });
