// @vitest-environment node
import { execFileSync, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { curlExample, SECRET_PLACEHOLDER, samplePayload, shellQuote } from "#lib/webhook-example.ts";

const trigger = { webhookUrl: "http://127.0.0.1:1/webhooks/t1", filter: { event: null, action: null } };

function has(cmd: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("curl example", () => {
  it("quotes shell words so nothing in them is expanded", () => {
    expect(shellQuote("plain")).toBe("'plain'");
    expect(shellQuote("it's $HOME")).toBe(`'it'\\''s $HOME'`);
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote("it's $HOME `x`")}`]).toString()).toBe(
      "it's $HOME `x`",
    );
  });

  it("sends an issues event whose action passes the trigger's filter", () => {
    const text = curlExample({ ...trigger, filter: { event: "issues", action: "labeled" } }, "s");
    expect(text).toContain("'X-GitHub-Event: issues'");
    expect(JSON.parse(samplePayload("labeled"))).toMatchObject({
      action: "labeled",
      issue: { title: "Example" },
    });
    expect(text).toContain(`body='${samplePayload("labeled")}'`);
    expect(text).toContain("curl -X POST 'http://127.0.0.1:1/webhooks/t1'");
  });

  it("has a placeholder where the secret goes once it is no longer shown", () => {
    expect(curlExample(trigger)).toContain(`SECRET='${SECRET_PLACEHOLDER}'`);
    expect(curlExample(trigger, "abc")).toContain("SECRET='abc'");
  });

  it.skipIf(!has("openssl") || !has("curl"))(
    "run by sh, signs the body the way the Worker checks it",
    async () => {
      const seen: { headers: IncomingHttpHeaders; body: string }[] = [];
      const server = createServer((req, res) => {
        let body = "";
        req.on("data", (chunk: Buffer) => (body += chunk.toString()));
        req.on("end", () => {
          seen.push({ headers: req.headers, body });
          res.writeHead(202).end("{}");
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/t1`;
      const secret = "s3cr'et with spaces";
      // uuidgen is not on every machine; the script only needs some delivery id.
      const script = `uuidgen() { echo delivery-1; }\n${curlExample({ ...trigger, webhookUrl: url }, secret)} --silent`;
      const code = await new Promise<number | null>((resolve) =>
        spawn("bash", ["-c", script], { stdio: "ignore" }).on("exit", resolve),
      );
      server.close();
      expect(code).toBe(0);
      const [{ headers, body }] = seen;
      expect(body).toBe(samplePayload(null));
      expect(headers["x-github-event"]).toBe("issues");
      expect(headers["x-github-delivery"]).toBe("delivery-1");
      expect(headers["x-hub-signature-256"]).toBe(
        `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`,
      );
    },
  );
});
