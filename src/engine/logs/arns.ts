import { logGroupArn, logGroupResourceArn, logStreamArn } from "../arn.ts";

/** ARN builders for one region and account. */
export class LogsArns {
  readonly region: string;
  readonly accountId: string;

  constructor(region: string, accountId: string) {
    this.region = region;
    this.accountId = accountId;
  }

  /** `...:log-group:<name>:*`, the form AWS returns in DescribeLogGroups and checks for group-level actions. */
  group(name: string): string {
    return logGroupResourceArn(this.region, this.accountId, name);
  }

  /** `...:log-group:<name>`, the `logGroupArn` field and the tagging APIs' form. */
  groupWithoutSuffix(name: string): string {
    return logGroupArn(this.region, this.accountId, name);
  }

  stream(group: string, stream: string): string {
    return logStreamArn(this.region, this.accountId, group, stream);
  }
}
