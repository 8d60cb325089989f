import { describe, expect, it } from "vitest";
import { reachableAddresses } from "../../cli/src/commands/up.ts";

describe("Function: reachableAddresses", () => {
  it("is empty for loopback binds", () => {
    expect(reachableAddresses("127.0.0.1")).toEqual([]);
    expect(reachableAddresses("localhost")).toEqual([]);
    expect(reachableAddresses("::1")).toEqual([]);
  });

  it("names the address itself for a specific bind", () => {
    expect(reachableAddresses("192.168.1.20")).toEqual(["192.168.1.20"]);
  });

  it("lists this machine's external IPv4 addresses for 0.0.0.0, never a loopback one", () => {
    const addresses = reachableAddresses("0.0.0.0");
    for (const address of addresses) {
      expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(address.startsWith("127.")).toBe(false);
    }
  });
});
