/**
 * Where an MCP server's connection may go: its host is resolved once, every address of the answer is
 * checked, and the connection is made to that same answer (Node's `lookup` hook), so a DNS answer that
 * changes between a check and a connection (a rebinding, TTL 0) cannot reach what only the agent host can:
 * its model gateway on loopback, the container's metadata, other local ports.
 */
import type { LookupAddress, LookupOptions } from "node:dns";
import { lookup } from "node:dns/promises";
import type { LookupFunction } from "node:net";
import ipaddr from "ipaddr.js";

/** A host name's addresses: the system's resolver by default; tests give their own. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A connection Tandem will not make: the reason is the server's failure as the session shows it. */
export class McpRefusal extends Error {}

/** The host of a URL without IPv6 brackets. */
export function bareHost(url: URL): string {
  const host = url.hostname;
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** Why `address` (one of `host`'s) may not be connected to, or null: anything but public unicast is refused. */
export function addressRefusal(host: string, address: string): string | null {
  const range = ipaddr.process(address).range();
  if (range === "unicast") return null;
  return host === address
    ? `${host} is a ${range} address`
    : `${host} resolves to ${address}, a ${range} address`;
}

/** The refusal of a URL whose host is an address (Node makes no lookup for one), or null. */
export function literalRefusal(url: URL, privateAllowed: boolean): string | null {
  const host = bareHost(url);
  return !privateAllowed && ipaddr.isValid(host) ? addressRefusal(host, host) : null;
}

/**
 * The `lookup` of every connection to one server: one resolution, checked (unless private hosts are
 * allowed: dev), and handed to the socket as the address it connects to. TLS still verifies the host name.
 */
export function pinnedLookup(resolve: Resolve, privateAllowed: boolean): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    resolve(hostname).then(
      (answer) => {
        const wanted = options.family ? answer.filter((a) => a.family === options.family) : answer;
        if (wanted.length === 0) return callback(new McpRefusal(`${hostname} does not resolve`), "");
        if (!privateAllowed)
          for (const { address } of answer) {
            const refusal = addressRefusal(hostname, address);
            if (refusal) return callback(new McpRefusal(refusal), "");
          }
        if (options.all) callback(null, wanted);
        else callback(null, wanted[0]!.address, wanted[0]!.family);
      },
      (error: unknown) =>
        callback(
          new McpRefusal(
            `${hostname} does not resolve (${error instanceof Error ? error.message : String(error)})`,
          ),
          "",
        ),
    );
  };
}
