// The real sf CLI in tests: where it is, and the environment that keeps it private (its own HOME and XDG dirs),
// quiet (no telemetry, update checks or release notes), on the CLI's default (SOAP) deploy path; pass
// `{ SF_ORG_METADATA_REST_DEPLOY: 'true' }` in `extra` for the REST deploy (research/toolchain.md §4).
import path from 'node:path';
import { repoRoot } from './requirements.ts';

export const SF_BIN = path.join(repoRoot, 'node_modules', '.bin', 'sf');

export function sfCliEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
    return {
        PATH: `${path.dirname(SF_BIN)}${path.delimiter}${process.env.PATH ?? ''}`,
        HOME: home,
        XDG_CONFIG_HOME: path.join(home, '.config'),
        XDG_CACHE_HOME: path.join(home, '.cache'),
        XDG_DATA_HOME: path.join(home, '.local', 'share'),
        SF_DISABLE_TELEMETRY: 'true',
        SF_DISABLE_AUTOUPDATE: 'true',
        SF_SKIP_NEW_VERSION_CHECK: 'true',
        SF_HIDE_RELEASE_NOTES: 'true',
        ...extra
    };
}
