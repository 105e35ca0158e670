// Anonymous Apex as the org serves it: the SOAP Apex API's executeAnonymous (`POST /services/Soap/s/{version}
// [/{orgId}]`, what `sf apex run` sends through apex-node), with the run's debug log in the response header
// (DebuggingInfo/debugLog) cut to the DebuggingHeader's levels; and the Tooling REST resource
// (`GET /services/data/vXX.X/tooling/executeAnonymous/?anonymousBody=…`), which answers the result only.
// The block runs as the session's user, in its own transaction, on the org's active program.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Services } from '../../context.ts';
import { SfError } from '../../errors.ts';
import type { Org } from '../../org.ts';
import { activeProgram, compileApex, type AnonymousResult, type ApexProgram } from '../index.ts';
import { filterDebugLog, levelsOfHeader } from './debug-log.ts';
import {
    acceptSoapBodies,
    answerSoap,
    authenticateSoap,
    invalidSessionFault,
    noSuchOperation,
    SoapFault,
    soapVersion,
    textOf
} from './soap.ts';

export const APEX_NS = 'http://soap.sforce.com/2006/08/apex';

/** The program anonymous code runs on: the deployed one, or an empty one in an org without Apex. */
export function programOf(org: Org): ApexProgram {
    const program = activeProgram(org) ?? compileApex(org, []).program;
    if (!program) throw new Error('the Apex runtime compiled no program for an empty set of sources');
    return program;
}

/** Author Apex comes with Modify All Data in the emulator's profiles (the System Administrator has both). */
export function canAuthorApex(org: Org, userId: string): boolean {
    return org.access(userId).modifyAllData;
}

/** The ExecuteAnonymousResult fields, in the order the org writes them. */
function resultFields(result: AnonymousResult): Record<string, unknown> {
    return {
        column: result.column,
        compileProblem: result.compileProblem,
        compiled: result.compiled,
        exceptionMessage: result.exceptionMessage,
        exceptionStackTrace: result.exceptionStackTrace,
        line: result.line,
        success: result.success
    };
}

export function registerAnonymousApexRoutes(app: FastifyInstance, s: Services): void {
    acceptSoapBodies(app);
    const soapHandler = async (
        request: FastifyRequest<{ Params: { version: string; orgId?: string } }>,
        reply: FastifyReply
    ) =>
        answerSoap(reply, APEX_NS, request.body, async (soap) => {
            const version = soapVersion(request.params.version);
            if (soap.operation !== 'executeAnonymous') throw noSuchOperation(APEX_NS, soap.operation);
            const { userId } = authenticateSoap(s.org, soap);
            const orgId = request.params.orgId;
            if (orgId !== undefined && orgId !== s.org.orgId15 && orgId !== s.org.orgId) throw invalidSessionFault();
            if (!canAuthorApex(s.org, userId)) {
                throw new SoapFault(
                    'INSUFFICIENT_ACCESS',
                    'INSUFFICIENT_ACCESS: User does not have the Author Apex permission needed to execute anonymous Apex'
                );
            }
            const code = textOf(soap.args, 'String') ?? textOf(soap.args, 'apexcode');
            if (code === undefined) {
                throw new SoapFault('Client', 'executeAnonymous has no apexcode element', 'soapenv');
            }
            const result = programOf(s.org).executeAnonymous({ userId }, code);
            const levels = levelsOfHeader(soap.header);
            return {
                body: { executeAnonymousResponse: { result: resultFields(result) } },
                header: levels
                    ? { DebuggingInfo: { debugLog: filterDebugLog(result.debugLog, levels, version) } }
                    : undefined
            };
        });
    app.post('/services/Soap/s/:version', soapHandler);
    app.post('/services/Soap/s/:version/:orgId', soapHandler);

    app.get(
        '/services/data/:version/tooling/executeAnonymous',
        async (request: FastifyRequest<{ Params: { version: string }; Querystring: { anonymousBody?: string } }>) => {
            Services.version(request.params.version);
            const { userId } = s.auth(request);
            if (!canAuthorApex(s.org, userId)) {
                throw new SfError(
                    403,
                    'INSUFFICIENT_ACCESS',
                    'User does not have the Author Apex permission needed to execute anonymous Apex'
                );
            }
            const code = request.query.anonymousBody;
            if (code === undefined || code.trim() === '') {
                throw new SfError(400, 'MISSING_ARGUMENT', 'anonymousBody: a block of Apex code is required', [
                    'anonymousBody'
                ]);
            }
            return resultFields(programOf(s.org).executeAnonymous({ userId }, code));
        }
    );
}
