/**
 * The CLM adapter the configuration names, built once for the connector and for the plugin's pre-flight
 * (`sf clm rules validate --clm-config`, `sf clm rules suggest`), so both read the same template the same way.
 */
import type pino from 'pino';
import { IroncladAdapter } from './adapters/clm/ironclad/ironcladAdapter.ts';
import { SpotdraftAdapter } from './adapters/clm/spotdraft/spotdraftAdapter.ts';
import type { ConnectorConfig } from './config/config.ts';
import type { ClmPort } from './ports/clm.ts';
import { systemClock, type Clock } from './clock.ts';

export function createClm(config: ConnectorConfig, logger?: pino.Logger, clock: Clock = systemClock): ClmPort {
    // Refused document downloads (an off-host link, a private address) are logged with host and reason.
    const deps = {
        clock,
        ...(logger
            ? { downloads: { log: (_level: 'warn', message: string, fields: object) => logger.warn(fields, message) } }
            : {})
    };
    return config.clm.vendor === 'ironclad'
        ? new IroncladAdapter(config.clm.ironclad as ConstructorParameters<typeof IroncladAdapter>[0], deps)
        : new SpotdraftAdapter(config.clm.spotdraft as ConstructorParameters<typeof SpotdraftAdapter>[0], deps);
}

/** The custom fields the CLM's field map knows: a create leaves the others out instead of failing on them. */
export function clmCustomFields(config: ConnectorConfig): string[] {
    if (config.clm.customFields) return config.clm.customFields;
    const map =
        config.clm.vendor === 'ironclad' ? config.clm.ironclad.customAttributes : config.clm.spotdraft.customFields;
    return map && typeof map === 'object' ? Object.keys(map) : [];
}
