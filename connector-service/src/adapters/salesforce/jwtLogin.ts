/**
 * Logging in to Salesforce with the OAuth 2.0 JWT bearer flow (a connected app and its certificate): the assertion,
 * and a jsforce connection that logs in again when its session expires.
 */
import { createSign } from 'node:crypto';
import jsforce from 'jsforce';
import { systemClock, type Clock } from '../../clock.ts';
import { toConnectorError } from './salesforceErrors.ts';

export interface JwtLogin {
    loginUrl: string;
    /** The connected app's consumer key. */
    clientId: string;
    username: string;
    privateKeyPem: string;
    apiVersion: string;
}

/** Signs a JWT bearer assertion (RS256: iss, sub, aud, exp in 3 minutes), as the OAuth flow requires. */
export function jwtAssertion(login: JwtLogin, nowMs: number): string {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = {
        iss: login.clientId,
        sub: login.username,
        aud: login.loginUrl,
        exp: Math.floor(nowMs / 1000) + 180
    };
    const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
    return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(login.privateKeyPem).toString('base64url')}`;
}

/** A connection that logs in by JWT bearer and logs in again when the session expires. */
export async function connectWithJwt(login: JwtLogin, clock: Clock = systemClock): Promise<jsforce.Connection> {
    const authorize = async (conn: jsforce.Connection) => {
        const result = await conn.authorize({
            grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
            assertion: jwtAssertion(login, clock.now())
        });
        return result;
    };
    const conn: jsforce.Connection = new jsforce.Connection({
        loginUrl: login.loginUrl,
        version: login.apiVersion,
        refreshFn: (c, callback) => {
            authorize(c as jsforce.Connection).then(
                () => callback(null, (c as jsforce.Connection).accessToken ?? undefined),
                (error: Error) => callback(error)
            );
        }
    });
    try {
        await authorize(conn);
    } catch (error) {
        throw toConnectorError(error, 'login');
    }
    return conn;
}
