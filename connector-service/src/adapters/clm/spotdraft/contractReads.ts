/**
 * SpotDraft's reads of one contract and of the contract list: status, key pointers, download link, list rows (paged,
 * remembered: SpotDraft cannot fetch one contract's header by id) and the webhook HMAC key.
 */
import type { z } from 'zod';
import { CLM_ERROR, clmError } from '../../../ports/clm.ts';
import type { HttpClient } from '../http.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import type { SpotdraftConfig } from './config.ts';
import { VENDOR } from './contractMapping.ts';
import {
    SpotdraftContractPage,
    SpotdraftDownloadLink,
    SpotdraftHmacKey,
    SpotdraftKeyPointers,
    SpotdraftStatus,
    type ContractStatusValue,
    type SpotdraftContractRow,
    type SpotdraftKeyPointer
} from './payloads.ts';
import { spotdraftUrl } from './spotdraftHttp.ts';

export class SpotdraftReads {
    /** List rows seen, by composite id. */
    readonly rows = new Map<string, SpotdraftContractRow>();

    constructor(
        private readonly config: SpotdraftConfig,
        private readonly http: HttpClient
    ) {}

    async status(compositeId: string): Promise<ContractStatusValue> {
        const { contract_status } = await this.http.parsed(SpotdraftStatus, {
            method: 'GET',
            url: spotdraftUrl(this.config, `/v2.1/public/contracts/${encodeURIComponent(compositeId)}/status`),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/contracts/{contract_id}/status'
        });
        return contract_status;
    }

    keyPointers(compositeId: string): Promise<SpotdraftKeyPointer[]> {
        const request = {
            method: 'GET',
            url: spotdraftUrl(this.config, `/v2.1/public/contracts/${encodeURIComponent(compositeId)}/key_pointers`),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/contracts/{contract_id}/key_pointers'
        } as const;
        return this.http.parsed(SpotdraftKeyPointers, request, 'key_pointers');
    }

    downloadLink(compositeId: string): Promise<z.infer<typeof SpotdraftDownloadLink>> {
        return this.http.parsed(SpotdraftDownloadLink, {
            method: 'POST',
            url: spotdraftUrl(this.config, `/v2.1/public/contracts/${encodeURIComponent(compositeId)}/download_link`),
            bucket: 'workspace',
            operation: 'POST /v2.1/public/contracts/{composite_id}/download_link'
        });
    }

    /** The list row for a contract: remembered from earlier answers, else found by paging the list. */
    async row(compositeId: string): Promise<SpotdraftContractRow> {
        const known = this.rows.get(compositeId);
        if (known) return known;
        await this.allRows(compositeId);
        const found = this.rows.get(compositeId);
        if (!found)
            throw clmError(CLM_ERROR.NOT_FOUND, `SpotDraft has no contract ${compositeId}`, { id: compositeId });
        return found;
    }

    /** Pages through GET /contracts (1-based), remembering rows; stops early once `until` is seen. */
    async allRows(until?: string): Promise<SpotdraftContractRow[]> {
        const operation = 'GET /v2.1/public/contracts';
        const rows: SpotdraftContractRow[] = [];
        for (let page = 1; page <= this.config.maxPages; page++) {
            const body = await this.http.json({
                method: 'GET',
                url: spotdraftUrl(this.config, '/v2.1/public/contracts'),
                bucket: 'workspace',
                operation,
                query: { page, limit: this.config.pageSize }
            });
            const result = parseVendorPayload(SpotdraftContractPage, body, { vendor: VENDOR, operation });
            for (const row of result.results) this.rows.set(row.id, row);
            rows.push(...result.results);
            if (until && this.rows.has(until)) return rows;
            if (result.results.length === 0 || rows.length >= result.total_results) return rows;
        }
        throw clmError(CLM_ERROR.TRANSIENT, `${operation}: more than ${this.config.maxPages} pages`, {
            operation,
            maxPages: this.config.maxPages
        });
    }

    async fetchHmacKey(): Promise<string> {
        const { hmac_key } = await this.http.parsed(SpotdraftHmacKey, {
            method: 'GET',
            url: spotdraftUrl(this.config, '/v2.1/public/webhooks/hmac_key/'),
            bucket: 'workspace',
            operation: 'GET /v2.1/public/webhooks/hmac_key/'
        });
        return hmac_key;
    }
}
