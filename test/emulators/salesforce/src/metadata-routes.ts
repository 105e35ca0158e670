// Metadata deploy over REST (what `sf project deploy start` uses with SF_ORG_METADATA_REST_DEPLOY=true; the SOAP
// deploy it uses by default is in apex/api/metadata-soap.ts, on the same service). The checking itself lives in
// ./metadata (MetadataDeployService); this wires its two routes, and applies a successful non-checkOnly deploy's
// objects, fields and permission sets to the org's schema.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Services } from './context.ts';
import { SfError } from './errors.ts';
import { MetadataDeployService, type DeployedComponents } from './metadata/index.ts';
import { runDeployTests } from './apex/api/deploy-tests.ts';
import { compileDeployedApex } from './apex/deploy.ts';
import { activeProgram } from './apex/index.ts';
import { applyDeployedObjects } from './schema/deployed-objects.ts';

type Req = FastifyRequest<{ Params: { version: string; id: string }; Querystring: { includeDetails?: string } }>;

export function applyDeployed(s: Services, deployed: DeployedComponents): void {
    const { org } = s;
    applyDeployedObjects(org.schema, deployed.objects);
    for (const ps of deployed.permissionSets) {
        org.addPermissionSet({
            name: ps.name,
            label: ps.label ?? ps.name,
            description: '',
            objectPermissions: ps.objectPermissions,
            fieldPermissions: ps.fieldPermissions,
            customPermissions: ps.customPermissions ?? [],
            userPermissions: []
        });
    }
}

/** Registers the REST deploy routes; returns the org's deploy service (shared with the SOAP deploy). */
export function registerMetadataRoutes(app: FastifyInstance, s: Services): () => MetadataDeployService {
    let service: MetadataDeployService | undefined;
    const deployService = () => {
        service ??= new MetadataDeployService({
            schema: {
                objectExists: (n) => s.org.schema.objectExists(n),
                fieldExists: (o, f) => s.org.schema.fieldExists(o, f)
            },
            now: () => s.org.clock.now(),
            userId: s.org.userIds.admin,
            onDeployed: (deployed) => applyDeployed(s, deployed),
            compileApex: (components, objects) => compileDeployedApex(s.org, components, objects),
            runTests: (program, options, deploysApex, idOf) => {
                const tested = program ?? activeProgram(s.org);
                return tested
                    ? runDeployTests(s.org, tested, options, deploysApex, s.org.userIds.admin, idOf)
                    : Promise.resolve(undefined);
            }
        });
        return service;
    };
    s.onReset.push(() => {
        service = undefined;
    });

    const requireModifyAll = (request: FastifyRequest) => {
        if (!s.access(request).modifyAllData) {
            throw new SfError(
                403,
                'INSUFFICIENT_ACCESS',
                'You do not have the permission (Modify Metadata / Modify All Data) required to deploy metadata'
            );
        }
    };

    app.post('/services/data/:version/metadata/deployRequest', async (request: Req, reply: FastifyReply) => {
        Services.version(request.params.version);
        requireModifyAll(request);
        const body = Buffer.isBuffer(request.body)
            ? request.body
            : Buffer.from(typeof request.body === 'string' ? request.body : '');
        const result = deployService().start(body, String(request.headers['content-type'] ?? ''));
        return reply.code(result.status).send(result.body);
    });

    app.get('/services/data/:version/metadata/deployRequest/:id', async (request: Req, reply: FastifyReply) => {
        Services.version(request.params.version);
        requireModifyAll(request);
        const result = deployService().get(request.params.id, request.query.includeDetails === 'true');
        return reply.code(result.status).send(result.body);
    });
    return deployService;
}
