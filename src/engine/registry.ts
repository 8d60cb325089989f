import { dynamoDbSection } from "./dynamodb/section.ts";
import { iamSection } from "./iam/section.ts";
import { lambdaSection } from "./lambda/section.ts";
import { logsSection } from "./logs/section.ts";
import { s3Section } from "./s3/section.ts";
import { ServiceRegistry } from "./service/registry.ts";
import { sqsSection } from "./sqs/section.ts";
import { stsSection } from "./sts/section.ts";

/**
 * The engine's services, by the service-level sections of their declarations: the one list the edge, the request
 * guard and the body limits read (and test/unit/service-boundaries.test.ts checks against the folders on disk).
 */
export const engineServices = new ServiceRegistry([
  iamSection,
  stsSection,
  logsSection,
  dynamoDbSection,
  sqsSection,
  lambdaSection,
  s3Section,
]);
