/**
 * Where Tandem may POST a phase-change callback. A callback URL is set by a workspace owner, but the
 * request leaves from Tandem's own network: to a private, loopback or link-local address it would reach
 * what only Tandem can reach (locally, the agent host). Such hosts are refused unless AUTH_MODE=dev,
 * when the URL is set and again when a callback is sent. (A public name that resolves to a private address
 * cannot be told from here; Workers' own fetch does not reach private networks.)
 */
import ipaddr from "ipaddr.js";

/** Names that only mean something inside a network. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp"];

/** Why Tandem will not send a callback to this URL, or null when it may. */
export function callbackURLRefusal(url: string, authMode: string): string | null {
  if (authMode === "dev") return null;
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase();
  } catch {
    return "it is not a URL";
  }
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (ipaddr.isValid(literal)) {
    // process() reads an IPv4-mapped IPv6 address (::ffff:127.0.0.1) as the IPv4 address it is.
    const range = ipaddr.process(literal).range();
    return range === "unicast" ? null : `${host} is a ${range} address`;
  }
  const name = host.replace(/\.$/, "");
  if (name === "localhost" || LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix)))
    return `${host} is a local host name`;
  if (!name.includes(".")) return `${host} is not a public host name`;
  return null;
}
