// OAuth sessions: access tokens shaped `<15-char org id>!<opaque>`, expiring after a period of inactivity
// measured on the emulator clock; refresh tokens for the authorization-code flow.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';

export interface Session {
    token: string;
    userId: string;
    issuedAt: number;
    lastUsed: number;
    scope: string;
}

export class SessionStore {
    private sessions = new Map<string, Session>();
    private refreshTokens = new Map<string, string>();
    private codes = new Map<string, { userId: string; expires: number }>();

    constructor(
        private readonly clock: Clock,
        private readonly orgId15: string,
        readonly timeoutMs: number
    ) {}

    issue(userId: string, scope: string): Session {
        const now = this.clock.peekMs();
        const token = `${this.orgId15}!${randomBytes(48).toString('base64url').replace(/[-_]/g, 'A')}`;
        const session: Session = { token, userId, issuedAt: now, lastUsed: now, scope };
        this.sessions.set(token, session);
        return session;
    }

    /** The live session for a token, refreshing its inactivity timer; undefined when unknown or expired. */
    use(token: string): Session | undefined {
        const s = this.sessions.get(token);
        if (!s) return undefined;
        const now = this.clock.peekMs();
        if (now - s.lastUsed > this.timeoutMs) {
            this.sessions.delete(token);
            return undefined;
        }
        s.lastUsed = now;
        return s;
    }

    revoke(token: string): boolean {
        const refreshUser = this.refreshTokens.get(token);
        if (refreshUser) {
            this.refreshTokens.delete(token);
            return true;
        }
        return this.sessions.delete(token);
    }

    newRefreshToken(userId: string): string {
        const t = `5Aep${randomBytes(40).toString('base64url').replace(/[-_]/g, 'B')}`;
        this.refreshTokens.set(t, userId);
        return t;
    }

    refreshTokenUser(token: string): string | undefined {
        return this.refreshTokens.get(token);
    }

    newCode(userId: string): string {
        const code = randomBytes(24).toString('base64url');
        this.codes.set(code, { userId, expires: this.clock.peekMs() + 15 * 60_000 });
        return code;
    }

    redeemCode(code: string): string | undefined {
        const c = this.codes.get(code);
        this.codes.delete(code);
        return c && c.expires >= this.clock.peekMs() ? c.userId : undefined;
    }

    clear(): void {
        this.sessions.clear();
        this.refreshTokens.clear();
        this.codes.clear();
    }
}
