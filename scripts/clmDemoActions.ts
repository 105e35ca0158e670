/**
 * The CLM side of the demo, played through the CLM emulator's admin API: legal's review (the term filled in), then
 * approval, every signature and Ironclad's archive step. `npm run demo:sign` and the browser journeys use it.
 */

export type ClmAdmin = <T = unknown>(method: string, route: string, body?: unknown) => Promise<T>;

/** A client of the CLM emulator's admin API at `adminUrl` (errors carry the method, route, status and body). */
export function clmAdminClient(adminUrl: string): ClmAdmin {
    return async <T>(method: string, route: string, body?: unknown): Promise<T> => {
        const response = await fetch(`${adminUrl}${route}`, {
            method,
            headers: body === undefined ? {} : { 'content-type': 'application/json' },
            body: body === undefined ? undefined : JSON.stringify(body),
            signal: AbortSignal.timeout(15_000)
        });
        const text = await response.text();
        if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${text}`);
        return (text ? JSON.parse(text) : undefined) as T;
    };
}

/**
 * Legal fills in the term during review (agreement date today on the CLM's clock, one year, 60 days' notice,
 * renewing for 12 months), as Ironclad's workflow form asks for it.
 */
export async function fillTerm(admin: ClmAdmin, workflowId: string): Promise<void> {
    const { now } = await admin<{ now: string }>('GET', '/clock');
    const start = new Date(now.slice(0, 10) + 'T00:00:00Z');
    const end = new Date(start);
    end.setUTCFullYear(end.getUTCFullYear() + 1);
    end.setUTCDate(end.getUTCDate() - 1);
    await admin('POST', `/contracts/ironclad/${workflowId}/actions`, {
        action: 'update-data',
        data: {
            agreementDate: start.toISOString().slice(0, 10),
            expirationDate: end.toISOString().slice(0, 10),
            termMonths: 12,
            noticePeriodDays: 60,
            autoRenew: true,
            renewalTermMonths: 12
        }
    });
}

/** Approval, every signer signs, the workflow archives (completes), and the CLM sends its webhooks. */
export async function approveSignAndArchive(admin: ClmAdmin, workflowId: string): Promise<void> {
    const act = (action: string) =>
        admin<{ signers: { status: string }[] }>('POST', `/contracts/ironclad/${workflowId}/actions`, { action });
    await act('request-approvals');
    await act('approve');
    await act('send-for-signature');
    for (let signer = 0; signer < 10; signer += 1) {
        const state = await act('sign');
        if (state.signers.every((candidate) => candidate.status === 'signed')) break;
    }
    await act('complete');
    await admin('POST', '/webhooks/settle');
}
