// OAuth 2.0 endpoints: token (JWT bearer RS256, client credentials, authorization code, refresh token),
// authorize (auto-approves for a seeded user), userinfo, the identity URL and revoke. Errors use the
// documented {error, error_description} bodies with 400 and Cache-Control: no-store.
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Services } from '../context.ts';
import type { SfRecord } from '../store.ts';

export interface OAuthConfig {
    clientId: string;
    clientSecret: string;
    /** Consumer key of the connected app whose certificate signs JWT assertions. */
    jwtConsumerKey: string;
    jwtPublicKeyPem: string;
}

export class OAuthError extends Error {
    constructor(
        readonly error: string,
        readonly description: string,
        readonly status = 400
    ) {
        super(description);
    }
}

const CLOCK_SKEW_S = 3 * 60;

function b64urlJson(part: string | undefined): Record<string, unknown> {
    try {
        const v = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8')) as unknown;
        if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    } catch {
        // fall through
    }
    throw new OAuthError('invalid_grant', 'invalid assertion');
}

function safeEqual(a: string, b: string): boolean {
    const ab = Buffer.from(a);
    const bb = Buffer.from(b);
    return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function registerOAuthRoutes(app: FastifyInstance, s: Services, config: OAuthConfig): void {
    const { org } = s;
    const publicKey: KeyObject = createPublicKey(config.jwtPublicKeyPem);
    const audiences = () =>
        new Set(
            [s.info.loginUrl, 'https://login.salesforce.com', 'https://test.salesforce.com'].map((a) =>
                a.replace(/\/$/, '')
            )
        );

    const activeUser = (user: SfRecord | undefined): SfRecord => {
        if (!user) throw new OAuthError('invalid_grant', "user hasn't approved this consumer");
        if (user.IsActive !== true) throw new OAuthError('inactive_user', 'user is inactive');
        return user;
    };

    function jwtUser(assertion: string): SfRecord {
        const parts = assertion.split('.');
        if (parts.length !== 3) throw new OAuthError('invalid_grant', 'invalid assertion');
        const header = b64urlJson(parts[0]);
        const claims = b64urlJson(parts[1]);
        if (header.alg !== 'RS256') throw new OAuthError('invalid_grant', 'invalid assertion');
        const signed = verify(
            'RSA-SHA256',
            Buffer.from(`${parts[0]}.${parts[1]}`),
            publicKey,
            Buffer.from(parts[2] ?? '', 'base64url')
        );
        if (!signed) throw new OAuthError('invalid_grant', 'invalid assertion');
        if (claims.iss !== config.jwtConsumerKey)
            throw new OAuthError('invalid_client_id', 'client identifier invalid');
        const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
        if (!aud.some((a) => typeof a === 'string' && audiences().has(a.replace(/\/$/, ''))))
            throw new OAuthError('invalid_grant', 'audience is invalid');
        const nowS = Math.floor(org.clock.peekMs() / 1000);
        const exp = Number(claims.exp);
        if (!Number.isFinite(exp) || exp + CLOCK_SKEW_S < nowS)
            throw new OAuthError('invalid_grant', 'expired authorization code');
        // The documentation asks for an exp within 3 minutes, but Salesforce does not refuse a later one: the sf CLI
        // (@salesforce/core's AuthInfo) sends `Date.now() + 300`, milliseconds, and `sf org login jwt` works.
        const subject = typeof claims.prn === 'string' ? claims.prn : claims.sub;
        if (typeof subject !== 'string') throw new OAuthError('invalid_grant', 'invalid assertion');
        return activeUser(org.findUser(subject));
    }

    function clientCredentials(request: FastifyRequest, form: Record<string, string>): { id: string; secret: string } {
        const basic = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '');
        if (basic) {
            const [id, ...rest] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':');
            return { id: id ?? '', secret: rest.join(':') };
        }
        return { id: form.client_id ?? '', secret: form.client_secret ?? '' };
    }

    function checkClient(cred: { id: string; secret: string }): void {
        if (!safeEqual(cred.id, config.clientId) && !safeEqual(cred.id, config.jwtConsumerKey))
            throw new OAuthError('invalid_client_id', 'client identifier invalid');
        if (!safeEqual(cred.secret, config.clientSecret))
            throw new OAuthError('invalid_client', 'invalid client credentials');
    }

    function tokenResponse(userId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
        const session = org.sessions.issue(userId, 'api web id refresh_token openid');
        const issuedAt = String(org.clock.peekMs());
        const id = `${s.info.loginUrl}/id/${org.orgId}/${userId}`;
        const signature = createHmac('sha256', config.clientSecret).update(`${id}${issuedAt}`).digest('base64');
        return {
            access_token: session.token,
            signature,
            scope: 'web openid api id',
            instance_url: s.info.instanceUrl,
            id,
            token_type: 'Bearer',
            issued_at: issuedAt,
            ...extra
        };
    }

    app.post('/services/oauth2/token', async (request: FastifyRequest, reply: FastifyReply) => {
        reply.header('Cache-Control', 'no-store');
        const form = (request.body ?? {}) as Record<string, string>;
        if (typeof form !== 'object') throw new OAuthError('invalid_request', 'request body must be form-urlencoded');
        org.counters.operation('oauthToken');
        switch (form.grant_type) {
            case 'urn:ietf:params:oauth:grant-type:jwt-bearer': {
                if (!form.assertion) throw new OAuthError('invalid_request', 'assertion is required');
                const user = jwtUser(form.assertion);
                const body = tokenResponse(String(user.Id));
                delete body.signature;
                delete body.issued_at;
                return body;
            }
            case 'client_credentials': {
                checkClient(clientCredentials(request, form));
                const user = activeUser(org.store.get('User', org.userIds.integration));
                return { ...tokenResponse(String(user.Id)), api_instance_url: s.info.instanceUrl };
            }
            case 'authorization_code': {
                checkClient(clientCredentials(request, form));
                const userId = form.code ? org.sessions.redeemCode(form.code) : undefined;
                if (!userId) throw new OAuthError('invalid_grant', 'invalid authorization code');
                return tokenResponse(userId, { refresh_token: org.sessions.newRefreshToken(userId) });
            }
            case 'refresh_token': {
                checkClient(clientCredentials(request, form));
                const userId = form.refresh_token ? org.sessions.refreshTokenUser(form.refresh_token) : undefined;
                if (!userId) throw new OAuthError('invalid_grant', 'expired access/refresh token');
                activeUser(org.store.get('User', userId));
                return tokenResponse(userId);
            }
            default:
                throw new OAuthError('unsupported_grant_type', 'grant type not supported');
        }
    });

    // Authorization-code flow without a login page: approves at once for `login_hint` (default: the admin).
    app.get(
        '/services/oauth2/authorize',
        async (request: FastifyRequest<{ Querystring: Record<string, string | undefined> }>, reply: FastifyReply) => {
            const q = request.query;
            if (q.response_type !== 'code')
                throw new OAuthError('unsupported_response_type', 'response type not supported');
            if (q.client_id !== config.clientId && q.client_id !== config.jwtConsumerKey)
                throw new OAuthError('invalid_client_id', 'client identifier invalid');
            if (!q.redirect_uri) throw new OAuthError('redirect_uri_missing', 'redirect_uri must be provided');
            const user = activeUser(
                q.login_hint ? org.findUser(q.login_hint) : org.store.get('User', org.userIds.admin)
            );
            const target = new URL(q.redirect_uri);
            target.searchParams.set('code', org.sessions.newCode(String(user.Id)));
            if (q.state) target.searchParams.set('state', q.state);
            return reply.redirect(target.toString(), 302);
        }
    );

    app.post('/services/oauth2/revoke', async (request: FastifyRequest) => {
        const form = (request.body ?? {}) as Record<string, string>;
        if (!form.token || !org.sessions.revoke(form.token))
            throw new OAuthError('unsupported_token_type', 'this token type is not supported');
        return {};
    });

    const bearerUser = (request: FastifyRequest): SfRecord => {
        const q = request.query as Record<string, string | undefined>;
        const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? q.oauth_token;
        const session = token ? org.sessions.use(token) : undefined;
        const user = session ? org.store.get('User', session.userId) : undefined;
        if (!user) throw new OAuthError('invalid_token', 'Bad_OAuth_Token', 403);
        return user;
    };

    const userinfo = (user: SfRecord) => {
        const version = s.info.apiVersion;
        const rest = `${s.info.instanceUrl}/services/data/v${version}/`;
        const profileName = String(org.store.get('Profile', String(user.ProfileId))?.Name ?? '');
        return {
            sub: `${s.info.loginUrl}/id/${org.orgId}/${String(user.Id)}`,
            user_id: user.Id,
            organization_id: org.orgId,
            preferred_username: user.Username,
            nickname: user.CommunityNickname,
            name: user.Name,
            email: user.Email,
            email_verified: true,
            given_name: user.FirstName,
            family_name: user.LastName,
            zoneinfo: user.TimeZoneSidKey,
            photos: {
                picture: `${s.info.instanceUrl}/img/userprofile/default_profile_200_v2.png`,
                thumbnail: `${s.info.instanceUrl}/img/userprofile/default_profile_45_v2.png`
            },
            profile: `${s.info.instanceUrl}/${String(user.Id)}`,
            picture: `${s.info.instanceUrl}/img/userprofile/default_profile_200_v2.png`,
            address: {},
            is_salesforce_integration_user: profileName.includes('API Only'),
            urls: {
                enterprise: `${s.info.instanceUrl}/services/Soap/c/${version}/${org.orgId}`,
                metadata: `${s.info.instanceUrl}/services/Soap/m/${version}/${org.orgId}`,
                partner: `${s.info.instanceUrl}/services/Soap/u/${version}/${org.orgId}`,
                rest,
                sobjects: `${rest}sobjects/`,
                search: `${rest}search/`,
                query: `${rest}query/`,
                recent: `${rest}recent/`,
                tooling_soap: `${s.info.instanceUrl}/services/Soap/T/${version}/${org.orgId}`,
                tooling_rest: `${rest}tooling/`,
                profile: `${s.info.instanceUrl}/${String(user.Id)}`,
                custom_domain: s.info.instanceUrl
            },
            active: user.IsActive === true,
            user_type: 'STANDARD',
            language: user.LanguageLocaleKey,
            locale: user.LocaleSidKey,
            utcOffset: 0,
            updated_at: user.LastModifiedDate
        };
    };

    app.get('/services/oauth2/userinfo', async (request) => userinfo(bearerUser(request)));
    app.post('/services/oauth2/userinfo', async (request) => userinfo(bearerUser(request)));

    app.get('/id/:orgId/:userId', async (request: FastifyRequest<{ Params: { orgId: string; userId: string } }>) => {
        const user = bearerUser(request);
        if (
            String(user.Id).slice(0, 15) !== request.params.userId.slice(0, 15) ||
            org.orgId.slice(0, 15) !== request.params.orgId.slice(0, 15)
        ) {
            throw new OAuthError('invalid_token', 'Bad_OAuth_Token', 403);
        }
        const info = userinfo(user);
        return {
            id: info.sub,
            asserted_user: true,
            user_id: user.Id,
            organization_id: org.orgId,
            username: user.Username,
            nick_name: user.CommunityNickname,
            display_name: user.Name,
            email: user.Email,
            email_verified: true,
            first_name: user.FirstName,
            last_name: user.LastName,
            timezone: user.TimeZoneSidKey,
            photos: info.photos,
            active: info.active,
            user_type: info.user_type,
            language: info.language,
            locale: info.locale,
            utcOffset: 0,
            last_modified_date: user.LastModifiedDate,
            is_app_installed: true,
            urls: info.urls
        };
    });
}
