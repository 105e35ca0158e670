/**
 * `npm run sf:link`: links the `sf clm` plugin (connector-service, run from its TypeScript sources) into the
 * project's sf CLI. Right after linking, the CLI loads the plugin once more in the same process as an ordinary
 * plugin, and oclif transpiles TypeScript there only when told to (its `enableAutoTranspile` setting, or outside
 * production, which would also load the CLI's dev plugins): without it that load prints an ERR_UNKNOWN_FILE_EXTENSION
 * warning per command although the link worked. So the CLI runs with that setting preloaded. Its update notice is off
 * too: the project pins its sf CLI (README, pins).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../test/support/requirements.ts';

const SF_RUN = path.join(repoRoot, 'node_modules', '@salesforce', 'cli', 'bin', 'run.js');
const TRANSPILE = 'data:text/javascript,globalThis.oclif = { ...globalThis.oclif, enableAutoTranspile: true };';

const result = spawnSync(
    process.execPath,
    ['--import', TRANSPILE, SF_RUN, 'plugins', 'link', path.join(repoRoot, 'connector-service'), '--no-install'],
    { stdio: 'inherit', env: { ...process.env, SF_SKIP_NEW_VERSION_CHECK: 'true', SF_DISABLE_AUTOUPDATE: 'true' } }
);
process.exit(result.status ?? 1);
