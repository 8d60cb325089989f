import { sqsQueueArn } from "../arn.ts";
import type { EngineContext } from "../context.ts";
import type { IamApi } from "../iam/contract.ts";
import type { EngineOptions } from "../options.ts";
import {
  authorizeRequest,
  deniedMessage,
  type ResourcePolicy,
  resourcePolicyDocument,
} from "../policy/authorize.ts";
import { createDispatcher, type ServiceDeclaration } from "../service/index.ts";
import type { Caller, CallingPrincipal, Service } from "../types.ts";
import type { QueueSender } from "./contract.ts";
import { SqsError, sqsErrors } from "./errors.ts";
import { sqsInputError } from "./inputs.ts";
import { MessageMoveTasks } from "./message-move.ts";
import { sqsOperations } from "./operations.ts";
import { sqsQueryCodec } from "./query-protocol.ts";
import type { Queue } from "./queue.ts";
import { sqsSection } from "./section.ts";
import { type SqsLimits, SqsStore } from "./store.ts";

/** The SQS service, and the typed API other services send through (Lambda destinations, S3 notifications). */
export interface SqsService extends Service {
  readonly queueSender: QueueSender;
}

/** What SQS needs from the other services. */
export interface SqsDependencies {
  /** Names roles in message attributes (`SenderId`). */
  iam: Pick<IamApi, "getRole">;
}

/** Whether a queue Policy is a JSON policy document (its statements are evaluated when used, policy/authorize.ts). */
function isPolicyDocument(text: string): boolean {
  try {
    const document = JSON.parse(text) as { Statement?: unknown };
    return typeof document === "object" && document !== null && document.Statement !== undefined;
  } catch {
    return false;
  }
}

/**
 * SQS (standard and FIFO queues) on JSON 1.0 (`X-Amz-Target: AmazonSQS.<Op>`, SDK v3) and query (`Action=<Op>`, AWS CLI
 * v2 releases before 2024) on one endpoint, declared in the service shape. Calls are authorized as
 * `sqs:<Op>` on the queue ARN by the caller's identity policies, or by the queue's Policy naming the caller.
 * State lives in memory and, with a data directory, in the persistence layer's SQS journal.
 */
export async function createSqsService(
  context: EngineContext,
  _options: EngineOptions,
  { iam }: SqsDependencies,
  limits: Partial<SqsLimits> = {},
): Promise<SqsService> {
  const queueArn = (name: string) => sqsQueueArn(context.region, context.accountId, name);
  const store = await SqsStore.open(
    { accountId: context.accountId, region: context.region, queueArn, limits, checkPolicy: isPolicyDocument },
    context.store,
  );

  const moveTasks = new MessageMoveTasks(store);

  /** A queue's Policy, weighed with the caller's identity policies (policy/authorize.ts). */
  const queuePolicy = (queue: Queue | undefined): ResourcePolicy | undefined => {
    const document = resourcePolicyDocument(queue?.record.attributes.Policy);
    return document && { document };
  };

  const senderIdOf = (caller: Caller): string => {
    if (!caller.role) return caller.accountId;
    const roleId = iam.getRole(caller.role.roleArn)?.roleId ?? caller.role.roleName;
    return `${roleId}:${caller.role.sessionName}`;
  };

  const declaration: ServiceDeclaration = {
    section: sqsSection,
    protocolHooks: { queryCodec: sqsQueryCodec },
    // SQS writes the action in lower case: "... to perform: sqs:sendmessage on resource: ...".
    accessDenied: {
      error: (message) =>
        sqsErrors.accessDenied(
          message.replace(
            /(perform: |allows the )(sqs:\w+)/g,
            (_, before: string, action: string) => before + action.toLowerCase(),
          ),
        ),
    },
    unknownOperation: (name) => sqsErrors.invalidAction(name),
    resourcePolicy: (resource) => queuePolicy(store.queueByArn(resource)),
    // A member that fails its schema, worded as SQS words it (MissingParameter, InvalidParameterValue).
    validationError: (_message, _protocol, [issue]) => (issue ? sqsInputError(issue) : undefined),
    operations: sqsOperations({
      store,
      moveTasks,
      queueArn,
      queueUrl: (call, queueName) =>
        `http://${call.request.host || hostOf(context)}/${context.accountId}/${queueName}`,
      senderId: (call) => senderIdOf(call.request.caller),
    }),
  };
  const dispatch = createDispatcher(declaration, context);

  const queueSender: QueueSender = {
    canSend(arn, sender) {
      const queue = store.queueByArn(arn);
      if (!queue) return { ok: false, reason: `queue does not exist: ${arn}` };
      return mayOrWhyNot(queue, sender);
    },
    authorizeSend(arn, sender) {
      const queue = store.queueByArn(arn);
      if (!queue) {
        const error = sqsErrors.queueDoesNotExist();
        return { ok: false, code: error.code, message: error.message };
      }
      const verdict = mayOrWhyNot(queue, sender);
      if (!verdict.ok) return { ok: false, code: "AccessDenied", message: verdict.reason };
      const senderId = sender.kind === "caller" ? senderIdOf(sender.caller) : sender.service;
      return {
        ok: true,
        async send(body, options) {
          // A delayed copy may find the queue deleted since; the permission is not asked again.
          const current = store.queueByArn(arn);
          if (!current) {
            const error = sqsErrors.queueDoesNotExist();
            return { ok: false, code: error.code, message: error.message };
          }
          try {
            const attributes = options?.messageAttributes;
            const sent = store.send(current, { body, senderId, ...(attributes ? { attributes } : {}) });
            return { ok: true, messageId: sent.messageId };
          } catch (error) {
            if (error instanceof SqsError) return { ok: false, code: error.code, message: error.message };
            throw error;
          }
        },
      };
    },
    async sendMessage(arn, body, sender, options) {
      const grant = queueSender.authorizeSend(arn, sender);
      return grant.ok ? grant.send(body, options) : grant;
    },
  };

  function mayOrWhyNot(queue: Queue, sender: CallingPrincipal): { ok: true } | { ok: false; reason: string } {
    const request = { principal: sender, action: "sqs:SendMessage", resource: queue.arn };
    const verdict = authorizeRequest(context.authorizer, request, queuePolicy(queue));
    return verdict.allowed ? { ok: true } : { ok: false, reason: deniedMessage(request, verdict) };
  }

  return {
    signingName: sqsSection.signingName,
    handle: dispatch,
    queueSender,
    async close() {
      moveTasks.close();
      store.close();
    },
  };
}

/** `127.0.0.1:<port>` of the engine's endpoint, for queue URLs made outside a request. */
const hostOf = (context: EngineContext) => context.endpoint().replace(/^https?:\/\//, "");
