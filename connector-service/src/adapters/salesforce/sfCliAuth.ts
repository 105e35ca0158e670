/**
 * A Salesforce connection from an org the sf CLI has logged in to (`sf org login web|jwt --alias <alias>`): the
 * same org store the CLI writes, read through @salesforce/core. @salesforce/core's Connection extends a different
 * jsforce package (`@jsforce/jsforce-node`), so the connector gets its own `jsforce` Connection with the org's
 * instance URL and access token, and a refresh function that lets @salesforce/core renew the token — by refresh
 * token or JWT, whichever the CLI stored — and save it back to the org store.
 */
import { Org } from '@salesforce/core';
import jsforce from 'jsforce';
import { ConnectorError } from '../../domain/errors.ts';
import { toConnectorError } from './salesforceErrors.ts';

export interface SfCliLogin {
    /** Alias or username of an org in the sf CLI's store. */
    org: string;
    apiVersion: string;
}

/** A connection to the sf CLI org `login.org`; on an expired session jsforce asks for a fresh token and retries. */
export async function connectWithSfCli(login: SfCliLogin): Promise<jsforce.Connection> {
    let org: Org;
    try {
        org = await Org.create({ aliasOrUsername: login.org });
    } catch (error) {
        throw new ConnectorError(
            'SF.CLI_ORG_NOT_FOUND',
            `The sf CLI has no org "${login.org}": log in first (sf org login web --alias ${login.org})`,
            { field: 'salesforce.org', org: login.org },
            { cause: error }
        );
    }
    const source = org.getConnection(login.apiVersion);
    // One authenticated GET; renews the stored token first if it has expired (and fails if it cannot).
    try {
        await org.refreshAuth();
    } catch (error) {
        throw toConnectorError(error, 'login');
    }
    const freshToken = async (): Promise<string> => {
        // With our token rejected, @salesforce/core's request gets a 401 too and renews through its own
        // refresh function; if it had renewed meanwhile, its request succeeds and its token is the new one.
        await source.refreshAuth();
        if (!source.accessToken) throw new Error(`@salesforce/core returned no access token for ${login.org}`);
        return source.accessToken;
    };
    const fields = source.getAuthInfoFields();
    const conn = new jsforce.Connection({
        instanceUrl: source.instanceUrl,
        accessToken: source.accessToken ?? undefined,
        version: login.apiVersion,
        refreshFn: (_conn, callback) => {
            freshToken().then(
                (token) => callback(null, token),
                (error: Error) => callback(error)
            );
        }
    });
    // As a JWT login reports it: main.ts and the store key everything by the org id.
    conn.userInfo = { id: fields.userId ?? '', organizationId: org.getOrgId(), url: '' };
    return conn;
}
