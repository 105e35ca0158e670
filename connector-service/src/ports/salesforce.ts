/**
 * What the application needs from a Salesforce org. The jsforce adapter (adapters/salesforce) implements it
 * against a real org or the local emulator.
 */
import type { ConnectorError, SalesforceValue, Soql } from '../domain/index.ts';

export type SalesforceRecord = Record<string, unknown> & { Id?: string };

/** One record write. Exactly one of `id` (update), `externalId` (upsert) or neither (create). */
export interface RecordWrite {
    /** The caller's handle for matching results to writes. */
    ref: string;
    sfObject: string;
    id?: string;
    externalId?: { field: string; value: string };
    fields: Record<string, SalesforceValue>;
}

export interface RecordWriteResult {
    ref: string;
    success: boolean;
    id?: string;
    created?: boolean;
    /** SF.<errorCode> with the platform's message and fields. */
    error?: ConnectorError;
}

export interface ApiBudget {
    used: number;
    max: number;
}

export interface SalesforcePort {
    /** Runs a statement from the query builder, following every page. */
    query(soql: Soql): Promise<SalesforceRecord[]>;
    /** Reads records by id, in as few calls as the platform allows. */
    readByIds(sfObject: string, fields: readonly string[], ids: readonly string[]): Promise<SalesforceRecord[]>;
    /** Writes records through Composite with sObject Collections, marked with the connector's client id. */
    write(writes: readonly RecordWrite[]): Promise<RecordWriteResult[]>;
    /** Publishes a platform event (e.g. Clm_Sync_Status__e). */
    publish(eventName: string, payload: Record<string, SalesforceValue>): Promise<void>;
    /** Attaches a file to a record (ContentVersion linked to the record). */
    attachFile(
        recordId: string,
        file: { title: string; fileName: string; bytes: Buffer }
    ): Promise<{ contentVersionId: string }>;
    /** The org's daily API usage as last reported in Sforce-Limit-Info. */
    apiBudget(): ApiBudget | undefined;
    /** Reads the org's limits now (one call), refreshing `apiBudget()`. */
    refreshApiBudget(): Promise<ApiBudget>;
    /** Calls made by this port since it was created (for tests and the benchmark). */
    callCount(): number;
}
