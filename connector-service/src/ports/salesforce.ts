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

export type BulkJobKind = 'query' | 'ingest';
export type BulkJobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';

export interface BulkJobInfo {
    id: string;
    state: BulkJobState;
    /** Records processed so far (ingest: successful and failed; query: records found). */
    processed: number;
    failed: number;
    errorMessage?: string;
}

/** One row of a finished ingest job: the columns uploaded, and what the platform did with it. */
export interface BulkRowResult {
    row: Record<string, string | null>;
    success: boolean;
    /** The record's id (sf__Id). */
    id: string | null;
    /** SF.<errorCode> with the platform's message. */
    error?: ConnectorError;
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
    // Bulk API 2.0: for many records. Each step is its own call, so a caller can store a job's id before it waits
    // for the job, and after a restart wait for that job instead of starting another.

    /** Creates a query job; returns its id. */
    createBulkQuery(soql: Soql): Promise<string>;
    /** A job's state now (one call). */
    bulkJob(kind: BulkJobKind, jobId: string): Promise<BulkJobInfo>;
    /** Polls until the job is JobComplete, Failed or Aborted; SF.BULK_TIMEOUT (retryable) after `timeoutMs`. */
    waitForBulkJob(
        kind: BulkJobKind,
        jobId: string,
        opts?: { pollIntervalMs?: number; timeoutMs?: number }
    ): Promise<BulkJobInfo>;
    /** Every record of a completed query job (all result pages). Values are text as the CSV has them; empty is null. */
    bulkQueryResults(jobId: string): Promise<SalesforceRecord[]>;
    /** Creates an ingest job (update by Id, or upsert by an external id field), marked with the connector's client id. */
    createBulkIngest(sfObject: string, operation: 'update' | 'upsert', externalIdField?: string): Promise<string>;
    /**
     * Uploads the rows and closes the job (UploadComplete): from then on the platform processes them. A column a row
     * lacks leaves that field alone; null clears it.
     */
    uploadBulkIngest(jobId: string, rows: readonly Record<string, SalesforceValue>[]): Promise<void>;
    abortBulkJob(kind: BulkJobKind, jobId: string): Promise<void>;
    /** The successful and failed rows of a finished ingest job. */
    bulkIngestResults(jobId: string): Promise<BulkRowResult[]>;

    /** Calls made by this port since it was created (for tests and the benchmark). */
    callCount(): number;
}
