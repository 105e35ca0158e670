// The @AuraEnabled door the components use (`import m from '@salesforce/apex/Class.method'`). In an org the
// browser posts an Aura ApexActionController action with the page's session cookie; this emulator takes the
// same action parameters as JSON:
//   POST /aura/apex   {"namespace": "", "classname": "ClmStatusController", "method": "getStatus",
//                      "params": {"recordId": "006…"}}   (Authorization: Bearer <session> or the sid cookie)
// and runs the method as the session's user, in its own transaction. Success: 200 `{"returnValue": …}`.
// An Apex exception: HTTP 500 with the error exactly as an LWC receives it from an org (LDS's FetchResponse):
//   {"status":500,"statusText":"Server Error","ok":false,"headers":{},"errorType":"fetchResponse",
//    "body":{"message":…,"exceptionType":…,"isUserDefinedException":…,"stackTrace":…}}
// (an AuraHandledException carries only message and isUserDefinedException, as the LWC guide shows).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Services } from '../../context.ts';
import { SfError, invalidSession } from '../../errors.ts';
import type { AuraError } from '../index.ts';
import { programOf } from './anonymous.ts';
import { sessionUser } from './soap.ts';

const ApexActionSchema = z
    .object({
        namespace: z.string().optional(),
        classname: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an Apex class name'),
        method: z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'must be an Apex method name'),
        params: z.record(z.string(), z.unknown()).default({}),
        cacheable: z.boolean().optional(),
        isContinuation: z.boolean().optional()
    })
    .strict();

/** The error an LWC receives for a failed Apex call (imperative or wired), as LDS builds it. */
export function fetchResponseError(className: string, methodName: string, error: AuraError): Record<string, unknown> {
    const handled = error.exceptionType === 'System.AuraHandledException';
    const body: Record<string, unknown> = handled
        ? { isUserDefinedException: false, message: error.message }
        : {
              exceptionType: error.exceptionType,
              isUserDefinedException: !error.exceptionType.startsWith('System.'),
              message: error.message,
              stackTrace: /^\d+$/.test(error.stackTrace ?? '')
                  ? `Class.${className}.${methodName}: line ${error.stackTrace}, column 1`
                  : (error.stackTrace ?? '')
          };
    return { status: 500, body, headers: {}, ok: false, statusText: 'Server Error', errorType: 'fetchResponse' };
}

function tokenOf(request: FastifyRequest): string | undefined {
    const bearer = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (bearer) return bearer;
    return /(?:^|;\s*)sid=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
}

export function registerAuraRoutes(app: FastifyInstance, s: Services): void {
    app.post('/aura/apex', async (request: FastifyRequest, reply: FastifyReply) => {
        const userId = sessionUser(s.org, tokenOf(request));
        if (!userId) throw invalidSession();
        const action = ApexActionSchema.parse(request.body ?? {});
        const program = programOf(s.org);
        const qualified = action.namespace ? `${action.namespace}.${action.classname}` : action.classname;
        if (!program.classNames().some((n) => n.toLowerCase() === action.classname.toLowerCase())) {
            throw new SfError(404, 'NOT_FOUND', `No Apex class named ${qualified}`, ['classname']);
        }
        const result = program.invokeAura({ userId }, qualified, action.method, action.params);
        if (result.ok) return reply.code(200).send({ returnValue: result.value ?? null });
        if (result.error.statusCode === 400 && result.error.message.startsWith('No @AuraEnabled method')) {
            throw new SfError(404, 'NOT_FOUND', result.error.message, ['method']);
        }
        return reply.code(500).send(fetchResponseError(action.classname, action.method, result.error));
    });
}
