/** Ironclad's documents of a contract: the workflow's draft and signed files, then its records' attachments. */
import { z } from 'zod';
import type { ClmDocument } from '../../../domain/clmEvents.ts';
import type { HttpRequest } from '../http.ts';
import { parseVendorPayload } from '../vendorPayload.ts';
import type { IroncladConfig } from './config.ts';
import { VENDOR } from './contractMapping.ts';
import { ironcladUrl, type IroncladApi } from './ironcladApi.ts';
import { IroncladDocumentEntry } from './payloads.ts';

export async function ironcladDocuments(api: IroncladApi, id: string): Promise<ClmDocument[]> {
    const workflow = await api.getWorkflow(id);
    const documents: ClmDocument[] = [];
    for (const attribute of ['draft', 'signed'] as const) {
        const files = parseVendorPayload(z.array(IroncladDocumentEntry), workflow.attributes[attribute] ?? [], {
            vendor: VENDOR,
            operation: 'GET /workflows/{id}',
            fieldPrefix: `attributes.${attribute}`
        });
        for (const file of files) {
            const key = /\/document\/([^/]+)\/download$/.exec(file.download)![1]!;
            documents.push({
                id: `workflow:${decodeURIComponent(key)}`,
                kind: attribute,
                name: file.filename,
                mimeType: mimeTypeOf(file.filename)
            });
        }
    }
    for (const recordId of workflow.recordIds ?? []) {
        const record = await api.getRecord(recordId);
        for (const [key, attachment] of Object.entries(record.attachments ?? {})) {
            documents.push({
                id: `record:${recordId}:${key}`,
                kind: key === 'signedCopy' ? 'signed' : 'attachment',
                name: attachment.filename,
                mimeType: attachment.contentType ?? mimeTypeOf(attachment.filename)
            });
        }
    }
    return documents;
}

/** The download request for a document id this adapter listed (`workflow:<key>` or `record:<id>:<key>`). */
export function documentRequest(config: IroncladConfig, id: string, documentId: string): HttpRequest {
    const [source, first, second] = documentId.split(':');
    return source === 'record'
        ? {
              method: 'GET',
              url: ironcladUrl(
                  config,
                  `/records/${encodeURIComponent(first!)}/attachments/${encodeURIComponent(second!)}`
              ),
              bucket: 'recordsRead',
              operation: 'GET /records/{id}/attachments/{key}'
          }
        : {
              method: 'GET',
              url: ironcladUrl(
                  config,
                  `/workflows/${encodeURIComponent(id)}/document/${encodeURIComponent(first!)}/download`
              ),
              bucket: 'workflowsRead',
              operation: 'GET /workflows/{id}/document/{key}/download'
          };
}

function mimeTypeOf(filename: string): string {
    const lower = filename.toLowerCase();
    if (lower.endsWith('.pdf')) return 'application/pdf';
    if (lower.endsWith('.docx')) return 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
    return 'application/octet-stream';
}
