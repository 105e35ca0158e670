#!/usr/bin/env node
// The `sf clm` commands outside the sf CLI (the CLI itself loads the plugin through `sf plugins link`).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
