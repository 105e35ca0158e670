// The SOAP Metadata API (`POST /services/Soap/m/{version}`), what `sf project deploy start` calls by default
// (jsforce's metadata.deploy / checkDeployStatus / cancelDeploy). It is a second door onto the same
// MetadataDeployService the REST deployRequest uses: same checks, same result, answered as SOAP.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../context.ts';
import type { MetadataDeployService } from '../../metadata/index.ts';
import { DeployOptionsSchema, type DeployOptions } from '../../metadata/request.ts';
import {
    acceptSoapBodies,
    answerSoap,
    authenticateSoap,
    isNode,
    noSuchOperation,
    SoapFault,
    soapVersion,
    textOf,
    textsOf,
    type SoapNode,
    type SoapRequest
} from './soap.ts';

export const METADATA_NS = 'http://soap.sforce.com/2006/04/metadata';

const BOOLEAN_OPTIONS = new Set(
    Object.entries(DeployOptionsSchema.shape)
        .filter(([name]) => name !== 'runTests' && name !== 'testLevel')
        .map(([name]) => name)
);

function clientFault(message: string): SoapFault {
    return new SoapFault('Client', message, 'soapenv');
}

/** `<DeployOptions>` as the deploy options the REST deploy takes; an unknown element or bad value is a fault. */
export function deployOptionsFromSoap(node: SoapNode): DeployOptions {
    const raw: Record<string, unknown> = {};
    for (const name of Object.keys(node)) {
        if (name === 'runTests') raw.runTests = textsOf(node, 'runTests');
        else if (name === 'testLevel') raw.testLevel = textOf(node, 'testLevel');
        else if (BOOLEAN_OPTIONS.has(name)) {
            const text = textOf(node, name)?.trim();
            if (text !== 'true' && text !== 'false') {
                throw clientFault(
                    `'${text ?? ''}' is not a valid value for the type xsd:boolean (DeployOptions.${name})`
                );
            }
            raw[name] = text === 'true';
        } else {
            throw clientFault(`Element {${METADATA_NS}}${name} invalid at this location in type DeployOptions`);
        }
    }
    const parsed = DeployOptionsSchema.safeParse(raw);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw clientFault(
            `'${String(raw[String(issue?.path[0])])}' is not a valid value for DeployOptions.${issue?.path.join('.') ?? ''}`
        );
    }
    return parsed.data;
}

function zipOf(args: SoapNode): Buffer {
    const text = textOf(args, 'ZipFile')?.replace(/\s+/g, '');
    if (!text) throw new SoapFault('INVALID_ZIP', 'INVALID_ZIP: The deploy request has no ZipFile (base64 zip)');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
        throw clientFault('The ZipFile element is not valid base64 (xsd:base64Binary)');
    }
    return Buffer.from(text, 'base64');
}

/** The REST service's answer (status + body) as the SOAP result, or the fault the org answers for that id. */
function checkResult(service: MetadataDeployService, id: string, includeDetails: boolean): Record<string, unknown> {
    const answer = service.get(id, includeDetails);
    if (answer.status === 400) throw new SoapFault('MALFORMED_ID', `MALFORMED_ID: bad id ${id}`);
    if (answer.status !== 200) {
        throw new SoapFault(
            'INVALID_CROSS_REFERENCE_KEY',
            `INVALID_CROSS_REFERENCE_KEY: invalid cross reference id ${id}`
        );
    }
    const result = { ...(answer.body as { deployResult: Record<string, unknown> }).deployResult };
    // The org leaves details out unless they were asked for; the REST answer carries null.
    if (result.details === null) delete result.details;
    return result;
}

export function registerMetadataSoapRoutes(
    app: FastifyInstance,
    s: Services,
    deployService: () => MetadataDeployService
): void {
    acceptSoapBodies(app);
    const operations: Record<string, (request: SoapRequest) => Promise<Record<string, unknown>>> = {
        deploy: async ({ args }) => {
            const options = isNode(args.DeployOptions)
                ? deployOptionsFromSoap(args.DeployOptions)
                : DeployOptionsSchema.parse({});
            const record = deployService().submit(zipOf(args), options);
            return { deployResponse: { result: { done: false, id: record.id, state: 'Queued' } } };
        },
        checkDeployStatus: async ({ args }) => {
            const id = textOf(args, 'asyncProcessId')?.trim() ?? '';
            const includeDetails = textOf(args, 'includeDetails')?.trim() === 'true';
            return { checkDeployStatusResponse: { result: checkResult(deployService(), id, includeDetails) } };
        },
        cancelDeploy: async ({ args }) => {
            const id = textOf(args, 'id')?.trim() ?? '';
            const result = checkResult(deployService(), id, false);
            // Deploys finish within the request that polls them here, so a cancel always finds one completed.
            if (result.done === true) {
                throw new SoapFault('INVALID_ID_FIELD', `INVALID_ID_FIELD: Deployment already completed: ${id}`);
            }
            return { cancelDeployResponse: { result: { done: false, id } } };
        }
    };

    app.post(
        '/services/Soap/m/:version',
        async (request: FastifyRequest<{ Params: { version: string } }>, reply: FastifyReply) => {
            return answerSoap(reply, METADATA_NS, request.body, async (soap) => {
                soapVersion(request.params.version);
                const operation = operations[soap.operation];
                if (!operation) throw noSuchOperation(METADATA_NS, soap.operation);
                const { userId } = authenticateSoap(s.org, soap);
                if (!s.org.access(userId).modifyAllData) {
                    throw new SoapFault(
                        'INSUFFICIENT_ACCESS',
                        'INSUFFICIENT_ACCESS: You do not have the permission (Modify Metadata / Modify All Data) required to deploy metadata'
                    );
                }
                return { body: await operation(soap) };
            });
        }
    );
}
