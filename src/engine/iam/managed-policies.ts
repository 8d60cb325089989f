import { iamPolicyArn } from "../arn.ts";

/**
 * AWS managed policies the engine knows by ARN, with their real documents (as published by AWS).
 * Only a few that sandbox stacks commonly attach; attaching any other `arn:aws:iam::aws:policy/...` fails
 * with NoSuchEntity, as it would for a misspelt name on AWS.
 */

export interface AwsManagedPolicy {
  policyName: string;
  policyId: string;
  arn: string;
  path: string;
  description: string;
  defaultVersionId: string;
  createDate: string;
  updateDate: string;
  document: string;
}

function managed(
  path: string,
  policyName: string,
  policyId: string,
  defaultVersionId: string,
  createDate: string,
  updateDate: string,
  description: string,
  statement: Record<string, unknown>[],
): AwsManagedPolicy {
  return {
    policyName,
    policyId,
    arn: iamPolicyArn("aws", policyName, path),
    path,
    description,
    defaultVersionId,
    createDate,
    updateDate,
    document: JSON.stringify({ Version: "2012-10-17", Statement: statement }, null, 4),
  };
}

const policies: AwsManagedPolicy[] = [
  managed(
    "/service-role/",
    "AWSLambdaBasicExecutionRole",
    "ANPAJNCQGXC42545SKXIK",
    "v1",
    "2015-04-09T15:03:43Z",
    "2015-04-09T15:03:43Z",
    "Provides write permissions to CloudWatch Logs.",
    [
      {
        Effect: "Allow",
        Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: "*",
      },
    ],
  ),
  managed(
    "/",
    "AdministratorAccess",
    "ANPAIWMBCKSKIEE64ZLYK",
    "v1",
    "2015-02-06T18:39:46Z",
    "2015-02-06T18:39:46Z",
    "Provides full access to AWS services and resources.",
    [{ Effect: "Allow", Action: "*", Resource: "*" }],
  ),
  managed(
    "/",
    "AmazonS3ReadOnlyAccess",
    "ANPAIZTJ4DXE7G6AGAE6M",
    "v3",
    "2015-02-06T18:40:59Z",
    "2023-08-10T21:31:39Z",
    "Provides read only access to all buckets via the AWS Management Console.",
    [
      {
        Effect: "Allow",
        Action: ["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"],
        Resource: "*",
      },
    ],
  ),
  managed(
    "/",
    "AmazonS3FullAccess",
    "ANPAIFIR6V6BVTRAHWINE",
    "v2",
    "2015-02-06T18:40:58Z",
    "2021-09-27T20:16:37Z",
    "Provides full access to all buckets via the AWS Management Console.",
    [{ Effect: "Allow", Action: ["s3:*", "s3-object-lambda:*"], Resource: "*" }],
  ),
];

const byArn = new Map(policies.map((policy) => [policy.arn, policy]));

/** The AWS managed policy with this ARN, if the engine knows it. */
export function awsManagedPolicy(arn: string): AwsManagedPolicy | undefined {
  return byArn.get(arn);
}

/** All AWS managed policies the engine knows (for ListPolicies with Scope AWS or All). */
export function awsManagedPolicies(): readonly AwsManagedPolicy[] {
  return policies;
}
